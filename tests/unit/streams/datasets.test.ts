import { describe, expect, it } from "vitest";
import {
  DatasetError,
  isoDay,
  loadReferenceSeries,
  monthDayYear,
  parseCsv,
} from "@/app/_lib/streams/datasets";
import { listStreamsResponse } from "@/app/_lib/streams/http";
import { MemoryStreamStore } from "@/app/_lib/streams/memory-store";
import { seedIfEmpty, seedStreams } from "@/app/_lib/streams/seed";

describe("reference datasets", () => {
  it("loads every series with its first point", async () => {
    const series = await loadReferenceSeries();
    const counts = Object.fromEntries(series.map((s) => [s.meta.id, s.points.length]));
    expect(counts).toEqual({
      "seattle.temp_max": 1461,
      "seattle.temp_min": 1461,
      "seattle.precipitation": 1461,
      "seattle.wind": 1461,
      "stocks.msft": 123,
      "stocks.amzn": 123,
      "stocks.ibm": 123,
      "stocks.goog": 68,
      "stocks.aapl": 123,
      "co2.ppm": 741,
      "co2.adjusted": 741,
    });
    // First rows of the CSVs: 2012-01-01 temp_max 12.8; MSFT Jan 1 2000 39.81; CO2 1958-03-01 315.70.
    const first = (id: string) => series.find((s) => s.meta.id === id)?.points[0];
    expect(first("seattle.temp_max")).toEqual({ t: Date.UTC(2012, 0, 1), v: 12.8 });
    expect(first("stocks.msft")).toEqual({ t: Date.UTC(2000, 0, 1), v: 39.81 });
    expect(first("co2.ppm")).toEqual({ t: Date.UTC(1958, 2, 1), v: 315.7 });
  });

  it("parses dates in UTC and refuses what it cannot read", () => {
    expect(isoDay("2015-12-31")).toBe(Date.UTC(2015, 11, 31));
    expect(monthDayYear("Mar 1 2010")).toBe(Date.UTC(2010, 2, 1));
    expect(() => monthDayYear("March 1 2010")).toThrow(DatasetError);
    expect(() => isoDay("12/31/2015")).toThrow(DatasetError);
    expect(parseCsv("a,b\n1,2\n")).toEqual([{ a: "1", b: "2" }]);
    expect(() => parseCsv('a,b\n"1,5",2\n')).toThrow(DatasetError);
    expect(() => parseCsv("a,b\n1\n")).toThrow(/1 fields/);
  });

  it("seeds idempotently and only an empty store", async () => {
    const store = new MemoryStreamStore();
    expect(await seedIfEmpty(store)).toEqual({ streams: 11, added: 7886, replaced: 0 });
    expect(await seedStreams(store)).toEqual({ streams: 11, added: 0, replaced: 0 });
    expect(await seedIfEmpty(store)).toBeUndefined();
  });
});

describe("GET /api/streams", () => {
  it("answers the streams with counts and ISO spans", async () => {
    const store = new MemoryStreamStore();
    await store.defineStream({ id: "a", name: "A" });
    await store.append("a", [{ t: Date.UTC(2020, 0, 1), v: 1 }]);
    const response = await listStreamsResponse(store);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      streams: [
        {
          id: "a",
          name: "A",
          count: 1,
          firstAt: "2020-01-01T00:00:00.000Z",
          lastAt: "2020-01-01T00:00:00.000Z",
        },
      ],
    });
  });
});
