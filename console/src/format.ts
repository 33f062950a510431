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
