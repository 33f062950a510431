// What the pages show of the API's values, in Beijing time and Chinese.

const beijing = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  month: "numeric",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

/** A time of the API (RFC 3339) in Beijing time: "12/6 20:39". */
export function beijingTime(iso: string | undefined | null): string {
  if (!iso) return "—";
  return beijing.format(new Date(iso));
}

const clock = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false });

/** The hour and minute of a time of the API in Beijing time: "20:39". */
export function clockTime(iso: string | undefined | null): string {
  if (!iso) return "—";
  return clock.format(new Date(iso));
}

/** Seconds after a switch, as the run view shows them: "+4分05秒", "+1小时02分". */
export function fromSwitch(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `+${h}小时${pad(m)}分` : `+${m}分${pad(s % 60)}秒`;
}

/** A share as a percentage with one decimal. */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return "—";
  return `${((100 * part) / whole).toFixed(1)}%`;
}

/** What is left until a deadline, counting down: "12:04", or "已超时 3:10". */
export function countdown(deadline: string, now: number): string {
  const ms = new Date(deadline).getTime() - now;
  const s = Math.floor(Math.abs(ms) / 1000);
  const text = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  return ms < 0 ? `已超时 ${text}` : text;
}
