import { describe, expect, it } from "vitest";
import { beijingTime, countdown, percent } from "./format";

describe("format", () => {
  it("shows the API's times in Beijing time", () => {
    expect(beijingTime("2026-12-06T12:39:08Z")).toContain("20:39");
    expect(beijingTime(undefined)).toBe("—");
  });
  it("counts down to a deadline and past it", () => {
    const now = Date.parse("2026-12-06T12:00:00Z");
    expect(countdown("2026-12-06T12:12:04Z", now)).toBe("12:04");
    expect(countdown("2026-12-06T11:56:50Z", now)).toBe("已超时 3:10");
  });
  it("says shares with one decimal, and nothing of nothing", () => {
    expect(percent(298, 300)).toBe("99.3%");
    expect(percent(1, 0)).toBe("—");
  });
});
