import { describe, expect, it } from "vitest";
import { nextCronTime, parseCron } from "../../../dev/qstash/schedules";

describe("cron", () => {
  it("parses plain 5-field expressions (UTC) and trims trailing spaces", () => {
    expect(parseCron("*/10 * * * * ")).toEqual({ expression: "*/10 * * * *" });
  });

  it("parses a CRON_TZ= prefix", () => {
    expect(parseCron("CRON_TZ=Europe/Istanbul 0 9 * * *")).toEqual({
      expression: "0 9 * * *",
      timezone: "Europe/Istanbul",
    });
  });

  it("rejects malformed expressions with a 400", () => {
    expect(() => parseCron("* * *")).toThrow(/invalid cron/);
    expect(() => parseCron("61 * * * *")).toThrow(/invalid cron/);
    expect(() => parseCron("* * * * * *")).toThrow(/invalid cron/);
    expect(() => parseCron("CRON_TZ=Not/AZone 0 9 * * *")).toThrow(/invalid cron/);
  });

  it("computes the next firing in UTC", () => {
    const from = Date.parse("2026-03-01T10:02:30Z");
    expect(new Date(nextCronTime("*/5 * * * *", from) ?? 0).toISOString()).toBe("2026-03-01T10:05:00.000Z");
    expect(new Date(nextCronTime("0 9 * * *", from) ?? 0).toISOString()).toBe("2026-03-02T09:00:00.000Z");
  });

  it("computes the next firing in the CRON_TZ zone", () => {
    const from = Date.parse("2026-03-01T10:02:30Z");
    // 09:00 in Istanbul (UTC+3) is 06:00 UTC.
    expect(new Date(nextCronTime("CRON_TZ=Europe/Istanbul 0 9 * * *", from) ?? 0).toISOString()).toBe(
      "2026-03-02T06:00:00.000Z",
    );
    // New York is UTC-5 in winter.
    expect(new Date(nextCronTime("CRON_TZ=America/New_York 30 8 * * *", from) ?? 0).toISOString()).toBe(
      "2026-03-01T13:30:00.000Z",
    );
  });
});
