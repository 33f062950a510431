// The checkpoint's queue: scans the network did not take wait in the
// phone's storage with their scan time, and are sent on, in order, when it
// comes back. Each keeps the id it was scanned with, so a scan the server
// took before the answer was lost is answered again, not counted twice.

export interface QueuedScan {
  eventId: string;
  postId: string;
  pass?: string;
  direction: "out" | "in";
  kind: "household" | "visitor" | "courier";
  buildingId?: string;
  scannedAt: string;
}

const key = (postId: string) => `fangxian.gate.${postId}`;

/** A new scan's id: random, never reused. */
export function newEventId(): string {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return "g" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function queued(postId: string, store: Storage = localStorage): QueuedScan[] {
  try {
    return JSON.parse(store.getItem(key(postId)) ?? "[]") as QueuedScan[];
  } catch {
    return [];
  }
}

export function enqueue(scan: QueuedScan, store: Storage = localStorage): void {
  store.setItem(key(scan.postId), JSON.stringify([...queued(scan.postId, store), scan]));
}

/** Sends the queue in order until one fails for the network; a scan the
 * server answered (allowed, refused, or an error of its own) leaves it. */
export async function flush(postId: string, send: (s: QueuedScan) => Promise<"sent" | "network">, store: Storage = localStorage): Promise<number> {
  let left = queued(postId, store);
  let sent = 0;
  while (left.length > 0) {
    if ((await send(left[0])) === "network") break;
    left = left.slice(1);
    sent++;
    store.setItem(key(postId), JSON.stringify(left));
  }
  return sent;
}

/** What a scanned QR code or a typed code is as a pass: the QR's text, or
 * six characters upper-cased; "" for neither. */
export function passIn(raw: string): string {
  const text = raw.trim();
  if (text.startsWith("FXP1.")) return text;
  const code = text.replace(/\s/g, "").toUpperCase();
  return /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/.test(code) ? code : "";
}
