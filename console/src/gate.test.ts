import { describe, expect, it } from "vitest";
import { enqueue, flush, newEventId, passIn, queued, type QueuedScan } from "./gate";

class Memory implements Storage {
  private m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  clear() {
    this.m.clear();
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
}

describe("passIn", () => {
  const cases: [string, string][] = [
    ["hr82na", "HR82NA"],
    [" HR8 2NA\n", "HR82NA"],
    ["FXP1.b1-h2.tpo2vr.B16NJPDqXpVbzGevKqVFrw", "FXP1.b1-h2.tpo2vr.B16NJPDqXpVbzGevKqVFrw"],
    ["HR82N0", ""], // 0 is not in a code
    ["HR82NAX", ""],
    ["javascript:alert(1)", ""],
    ["", ""],
  ];
  for (const [raw, want] of cases) {
    it(`reads ${JSON.stringify(raw)}`, () => expect(passIn(raw)).toBe(want));
  }
});

describe("the outage queue", () => {
  const scan = (n: number): QueuedScan => ({ eventId: `e${n}`, postId: "p1", pass: "HR82NA", direction: "out", kind: "household", scannedAt: `2026-12-07T09:0${n}:00+08:00` });

  it("sends in order, stops at the network, keeps the rest", async () => {
    const store = new Memory();
    [1, 2, 3].forEach((n) => enqueue(scan(n), store));
    const seen: string[] = [];
    const sent = await flush("p1", async (s) => {
      seen.push(s.eventId);
      return s.eventId === "e2" ? "network" : "sent";
    }, store);
    expect(sent).toBe(1);
    expect(seen).toEqual(["e1", "e2"]);
    expect(queued("p1", store).map((s) => s.eventId)).toEqual(["e2", "e3"]);
    expect(await flush("p1", async () => "sent", store)).toBe(2);
    expect(queued("p1", store)).toEqual([]);
  });

  it("gives each scan its own id", () => {
    const ids = new Set(Array.from({ length: 100 }, newEventId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
  });
});
