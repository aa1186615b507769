import { beforeAll, describe, expect, it } from "vitest";
import { createStreamTools, InsufficientDataError, type StreamTools } from "@/app/_lib/streams/analysis";
import { MemoryStreamStore } from "@/app/_lib/streams/memory-store";
import { seedStreams } from "@/app/_lib/streams/seed";
import { StreamNotFoundError } from "@/app/_lib/streams/types";
import { expectAllClose } from "./expect-close";

/*
 * Expected figures on the real data were computed once, independently, with Python 3.11 on the same
 * vega-datasets CSVs: the `statistics` module (mean, stdev, correlation), NumPy 2.4 (percentile with its
 * default linear method, polyfit for the slope, corrcoef² for r², boolean masks for the anomaly counts)
 * and an ACF written as np.sum(d[:-k] * d[k:]) / np.sum(d * d) on np.polyfit-detrended values, e.g.
 *   python3 -c "import csv,statistics as s; r=[float(x['temp_max']) for x in csv.DictReader(open('seattle-weather.csv')) if x['date'][:4]=='2012']; print(s.mean(r), s.stdev(r))"
 */

let tools: StreamTools;
beforeAll(async () => {
  const store = new MemoryStreamStore();
  await seedStreams(store);
  tools = createStreamTools(store);
});

const run = <K extends keyof StreamTools>(name: K, input: unknown) =>
  // biome-ignore lint/suspicious/noExplicitAny: each tool's own schema validates the input first.
  (tools[name].execute as (input: any) => Promise<any>)(tools[name].inputSchema.parse(input));

const seattle2012 = { stream: "seattle.temp_max", from: "2012-01-01", to: "2012-12-31" };

describe("stream tools on Seattle, stocks and CO2", () => {
  it("lists the reference streams", async () => {
    const streams = await run("listStreams", {});
    expect(streams.map((s: { id: string }) => s.id)).toEqual([
      "co2.adjusted",
      "co2.ppm",
      "seattle.precipitation",
      "seattle.temp_max",
      "seattle.temp_min",
      "seattle.wind",
      "stocks.aapl",
      "stocks.amzn",
      "stocks.goog",
      "stocks.ibm",
      "stocks.msft",
    ]);
    expect(streams.find((s: { id: string }) => s.id === "seattle.temp_max")).toMatchObject({
      unit: "°C",
      count: 1461,
      firstAt: "2012-01-01T00:00:00.000Z",
      lastAt: "2015-12-31T00:00:00.000Z",
    });
  });

  it("returns recent data", async () => {
    const { points } = await run("recentData", { stream: "seattle.temp_max", count: 2 });
    expect(points).toEqual([
      { at: "2015-12-30T00:00:00.000Z", value: 5.6 },
      { at: "2015-12-31T00:00:00.000Z", value: 5.6 },
    ]);
  });

  it("summarizes Seattle's 2012 daily maxima (sample sd, type-7 quantiles)", async () => {
    const stats = await run("statistics", seattle2012);
    // Python: statistics.mean / stdev; numpy.percentile(x, [5, 25, 50, 75, 95]).
    expect(stats).toMatchObject({ count: 366, min: -1.1, max: 34.4, lastAt: "2012-12-31T00:00:00.000Z" });
    expect(stats.mean).toBeCloseTo(15.276775956284153, 10);
    expect(stats.sd).toBeCloseTo(7.079976123252908, 10);
    expectAllClose(
      stats.quantiles.map((q: { value: number }) => q.value),
      [5.725, 9.025, 14.7, 21.1, 26.7],
      10,
    );
  });

  it("fits the 2012 trend", async () => {
    const trend = await run("trend", seattle2012);
    // numpy.polyfit(days, x, 1) → slope 0.014504100043383794 °C/day, intercept 12.62977769836661;
    // numpy.corrcoef(days, x)[0, 1]² → 0.04697684986351703.
    expect(trend.slopePerDay).toBeCloseTo(0.014504100043383794, 12);
    expect(trend.fittedStart).toBeCloseTo(12.62977769836661, 10);
    expect(trend.r2).toBeCloseTo(0.04697684986351703, 12);
    expect(trend.slopePerYear).toBeCloseTo(0.014504100043383794 * 365.25, 10);
  });

  it("finds 2012's heavy-rain days", async () => {
    const result = await run("anomalies", { ...seattle2012, stream: "seattle.precipitation", limit: 1 });
    // numpy: 8 days with |z| ≥ 3 (ddof=1), the largest 7.820411192215401 on 2012-11-19;
    // percentile → Q1 0, Q3 4.025, 42 days above Q3 + 1.5·IQR.
    expect(result.zscore.total).toBe(8);
    expect(result.zscore.anomalies[0].at).toBe("2012-11-19T00:00:00.000Z");
    expect(result.zscore.anomalies[0].z).toBeCloseTo(7.820411192215401, 10);
    expect(result.iqr.fences.q3).toBeCloseTo(4.025, 10);
    expect(result.iqr.total).toBe(42);
  });

  it("correlates two streams and many", async () => {
    const pair = await run("correlation", { a: "seattle.temp_max", b: "seattle.temp_min", ...seattle2012 });
    // statistics.correlation on the 366 days of 2012.
    expect(pair.n).toBe(366);
    expect(pair.r).toBeCloseTo(0.8647806266676656, 12);

    const { pairs } = await run("correlationMatrix", {
      streams: ["stocks.msft", "stocks.aapl", "stocks.goog"],
    });
    // statistics.correlation over the dates each pair shares (GOOG starts in Aug 2004).
    expect(pairs[0]).toMatchObject({ a: "stocks.msft", b: "stocks.aapl", n: 123 });
    expect(pairs[0].r).toBeCloseTo(0.35793614890376363, 12);
    expect(pairs[1]).toMatchObject({ a: "stocks.msft", b: "stocks.goog", n: 68 });
    expect(pairs[1].r).toBeCloseTo(0.7103378399626632, 12);
  });

  it("finds the yearly cycle in daily temperatures and monthly CO2", async () => {
    const temperature = await run("patterns", { stream: "seattle.temp_max" });
    // numpy ACF of the detrended 2012–2015 series: highest r over lags 200–500 is at 360, r = 0.608445021327427.
    expect(temperature.seasonality).toMatchObject({ lag: 360, periodDays: 360 });
    expect(temperature.seasonality.strength).toBeCloseTo(0.608445021327427, 10);

    const co2 = await run("patterns", { stream: "co2.ppm" });
    // numpy ACF of detrended CO2: highest r over lags 2–23 is at 12, r = 0.9096870919264463.
    expect(co2.seasonality.lag).toBe(12);
    expect(co2.seasonality.strength).toBeCloseTo(0.9096870919264463, 10);
    expect(co2.seasonality.periodDays).toBeGreaterThan(365);
    expect(co2.seasonality.periodDays).toBeLessThan(370);

    // The seasonally adjusted series has its cycle removed.
    expect((await run("patterns", { stream: "co2.adjusted" })).seasonality).toBeNull();
  });

  it("names what is wrong with a request", async () => {
    await expect(run("statistics", { stream: "seattle.nope" })).rejects.toThrow(StreamNotFoundError);
    await expect(run("trend", { ...seattle2012, from: "2030-01-01", to: "2030-02-01" })).rejects.toThrow(
      InsufficientDataError,
    );
    expect(() => tools.statistics.inputSchema.parse({ stream: "Seattle Temp" })).toThrow();
    expect(() => tools.trend.inputSchema.parse({ stream: "seattle.temp_max", from: "yesterday" })).toThrow();
  });
});
