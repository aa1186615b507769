import { expect, it } from "vitest";
import { crashTriggers } from "@/dev/crash/crash-run";

it("keyed triggers survive SIGKILL of the app at random points: one finished run per key, nothing stuck", async () => {
  const report = await crashTriggers({ keys: 60, keyless: 12, kills: 3 });
  expect(report.dangling).toEqual([]);
  expect(report.duplicated).toEqual([]);
  expect(report.keysFinished).toBe(60);
  expect(report.stuckQueued).toBe(0);
}, 180_000);
