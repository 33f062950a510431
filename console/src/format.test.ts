import { describe, expect, it } from "vitest";
import { beijingTime, clockTime, countdown, fromSwitch, percent } from "./format";

describe("format", () => {
  it("shows the API's times in Beijing time", () => {
    expect(beijingTime("2026-12-06T12:39:08Z")).toContain("20:39");
    expect(beijingTime(undefined)).toBe("—");
    expect(clockTime("2026-12-06T16:05:00Z")).toBe("00:05");
    expect(clockTime(null)).toBe("—");
  });
  it("says how long after the switch a step was done", () => {
    const cases: [number, string][] = [[0, "+0分00秒"], [245, "+4分05秒"], [3720, "+1小时02分"], [-3, "+0分00秒"]];
    for (const [seconds, want] of cases) expect(fromSwitch(seconds)).toBe(want);
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
