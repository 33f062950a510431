import { describe, expect, it } from "vitest";
import { bookingCodeIn } from "./scan";

describe("bookingCodeIn", () => {
  const cases: [string, string][] = [
    ["K7Q2MX", "K7Q2MX"],
    [" k7q2mx\n", "K7Q2MX"],
    ["https://fangxian.example/b?code=K7Q2MX", "K7Q2MX"],
    ["https://fangxian.example/b?code=K7Q2", ""],
    ["K7Q2MX9", ""],
    ["javascript:alert(1)", ""],
    ["", ""],
  ];
  for (const [raw, want] of cases) {
    it(`reads ${JSON.stringify(raw)}`, () => expect(bookingCodeIn(raw)).toBe(want));
  }
});
