import { z } from "zod";
import { type Point, type StreamStore, streamId } from "../types";
import { iqrAnomalies, zScoreAnomalies } from "./anomalies";
import { correlateAligned, correlationMatrix } from "./correlation";
import { InsufficientDataError } from "./errors";
import { seasonality } from "./patterns";
import { DEFAULT_PROBABILITIES, summarize } from "./stats";
import { linearRegression } from "./trend";

/**
 * The analysis tools over a `StreamStore`, shaped like AI SDK tools (`description`, `inputSchema`,
 * `execute`) so `tool(streamTools.statistics)` works as is. Every tool is a pure computation over the
 * stored points; times go in and out as ISO 8601 strings.
 */
export interface StreamTool<TInput, TOutput> {
  description: string;
  inputSchema: z.ZodType<TInput>;
  execute(input: TInput): Promise<TOutput>;
}

/** Analyses read at most this many points, so a mistaken range fails loudly instead of loading a year of seconds. */
export const MAX_POINTS = 50_000;

export class TooManyPointsError extends Error {
  override name = "TooManyPointsError";
}

const instant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .describe("ISO 8601 date (2012-01-31) or date-time, UTC unless an offset is given");

const windowFields = {
  stream: streamId.describe("stream id, as listed by listStreams"),
  from: instant.optional().describe("inclusive start; the stream's first point when omitted"),
  to: instant.optional().describe("inclusive end; the stream's last point when omitted"),
};

const DAY_MS = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();

export function createStreamTools(store: StreamStore) {
  const load = (stream: string, from?: string, to?: string) => loadWindow(store, stream, from, to);
  return {
    listStreams: listStreamsTool(store),
    recentData: recentDataTool(store),
    statistics: statisticsTool(load),
    trend: trendTool(load),
    anomalies: anomaliesTool(load),
    correlation: correlationTool(load),
    correlationMatrix: correlationMatrixTool(load),
    patterns: patternsTool(load),
  };
}

export type StreamTools = ReturnType<typeof createStreamTools>;
type Load = (stream: string, from?: string, to?: string) => Promise<Point[]>;

async function loadWindow(store: StreamStore, stream: string, from?: string, to?: string): Promise<Point[]> {
  const points = await store.range(stream, {
    from: from === undefined ? undefined : Date.parse(from),
    to: to === undefined ? undefined : endOf(to),
    limit: MAX_POINTS + 1,
  });
  if (points.length > MAX_POINTS) {
    throw new TooManyPointsError(`"${stream}" has more than ${MAX_POINTS} points in range; narrow from/to.`);
  }
  return points;
}

/** A bare date as the upper bound means the whole day. */
function endOf(to: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(to) ? Date.parse(to) + DAY_MS - 1 : Date.parse(to);
}

function tool<TInput, TOutput>(definition: StreamTool<TInput, TOutput>): StreamTool<TInput, TOutput> {
  return definition;
}

function listStreamsTool(store: StreamStore) {
  return tool({
    description: "Lists every stored time series with its unit, source, point count and time span.",
    inputSchema: z.object({}),
    async execute() {
      const streams = await store.listStreams();
      return streams.map(({ firstAt, lastAt, ...meta }) => ({
        ...meta,
        firstAt: firstAt === undefined ? undefined : iso(firstAt),
        lastAt: lastAt === undefined ? undefined : iso(lastAt),
      }));
    },
  });
}

function recentDataTool(store: StreamStore) {
  return tool({
    description: "The latest points of a stream, oldest first.",
    inputSchema: z.object({
      stream: windowFields.stream,
      count: z.number().int().min(1).max(500).default(20).describe("how many points (1–500)"),
    }),
    async execute({ stream, count }) {
      const points = await store.recent(stream, count);
      return { stream, points: points.map((p) => ({ at: iso(p.t), value: p.v })) };
    },
  });
}

function statisticsTool(load: Load) {
  return tool({
    description:
      "Count, mean, sample standard deviation (n − 1), min, max and quantiles (linear interpolation, " +
      "type 7 as in R/NumPy/Excel PERCENTILE.INC) of a stream over a time window.",
    inputSchema: z.object({
      ...windowFields,
      quantiles: z
        .array(z.number().min(0).max(1))
        .max(20)
        .default([...DEFAULT_PROBABILITIES])
        .describe("probabilities in [0, 1]"),
    }),
    async execute({ stream, from, to, quantiles }) {
      const points = await load(stream, from, to);
      return { stream, ...span(points), ...summarize(values(points), quantiles) };
    },
  });
}

function trendTool(load: Load) {
  return tool({
    description:
      "Least-squares linear trend of a stream over a window: slope per day and per year (365.25 days), " +
      "fitted values at both ends and r² (share of the variance the line explains).",
    inputSchema: z.object(windowFields),
    async execute({ stream, from, to }) {
      const points = await load(stream, from, to);
      const first = firstTime(points, "A trend");
      const fit = linearRegression(
        points.map((p) => (p.t - first) / DAY_MS),
        values(points),
      );
      const lastDay = ((points.at(-1) as Point).t - first) / DAY_MS;
      return {
        stream,
        ...span(points),
        slopePerDay: fit.slope,
        slopePerYear: fit.slope * 365.25,
        fittedStart: fit.intercept,
        fittedEnd: fit.intercept + fit.slope * lastDay,
        r2: fit.r2,
      };
    },
  });
}

function anomaliesTool(load: Load) {
  return tool({
    description:
      "Unusual points of a stream: z-score (|v − mean| / sample sd ≥ threshold) and/or outside Tukey's " +
      "IQR fences (Q1 − k·IQR, Q3 + k·IQR). Lists the most extreme first.",
    inputSchema: z.object({
      ...windowFields,
      method: z.enum(["zscore", "iqr", "both"]).default("both"),
      zThreshold: z.number().positive().default(3),
      iqrMultiplier: z.number().positive().default(1.5),
      limit: z.number().int().min(1).max(200).default(20).describe("at most this many anomalies per method"),
    }),
    async execute({ stream, from, to, method, zThreshold, iqrMultiplier, limit }) {
      const points = await load(stream, from, to);
      const result: Record<string, unknown> = { stream, ...span(points) };
      if (method !== "iqr") {
        const found = zScoreAnomalies(points, zThreshold).sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
        result.zscore = {
          threshold: zThreshold,
          total: found.length,
          anomalies: found.slice(0, limit).map((p) => ({ at: iso(p.t), value: p.v, z: p.z })),
        };
      }
      if (method !== "zscore") {
        const { fences, anomalies } = iqrAnomalies(points, iqrMultiplier);
        const distance = (v: number) => (v < fences.lower ? fences.lower - v : v - fences.upper);
        const sorted = anomalies.sort((a, b) => distance(b.v) - distance(a.v));
        result.iqr = {
          multiplier: iqrMultiplier,
          fences,
          total: anomalies.length,
          anomalies: sorted.slice(0, limit).map((p) => ({ at: iso(p.t), value: p.v, side: p.side })),
        };
      }
      return result;
    },
  });
}

const pairFields = {
  from: windowFields.from,
  to: windowFields.to,
};

function correlationTool(load: Load) {
  return tool({
    description:
      "Pearson correlation of two streams over the timestamps both have (exact matches); r is null when " +
      "fewer than two are shared or one side is constant.",
    inputSchema: z.object({ a: streamId, b: streamId, ...pairFields }),
    async execute({ a, b, from, to }) {
      const [pointsA, pointsB] = await Promise.all([load(a, from, to), load(b, from, to)]);
      return correlateAligned(a, pointsA, b, pointsB);
    },
  });
}

function correlationMatrixTool(load: Load) {
  return tool({
    description:
      "Pearson correlation of every pair among 2–10 streams, each pair over the timestamps both have; " +
      "returns the matrix (row/column order = streams) and each pair with its n.",
    inputSchema: z.object({ streams: z.array(streamId).min(2).max(10), ...pairFields }),
    async execute({ streams, from, to }) {
      const loaded = await Promise.all(streams.map(async (id) => ({ id, points: await load(id, from, to) })));
      return correlationMatrix(loaded);
    },
  });
}

function patternsTool(load: Load) {
  return tool({
    description:
      "Seasonality via autocorrelation: the lag (in observations, and in days from the mean spacing) of " +
      "the highest autocorrelation peak, and its strength r(lag) (near 1 strong, near 0 none). The linear " +
      "trend is removed first unless removeTrend is false. Assumes evenly spaced points.",
    inputSchema: z.object({
      ...windowFields,
      maxLag: z
        .number()
        .int()
        .min(2)
        .max(5_000)
        .optional()
        .describe("longest lag tried; default min(n/2, 500)"),
      removeTrend: z.boolean().default(true),
    }),
    async execute({ stream, from, to, maxLag, removeTrend }) {
      const points = await load(stream, from, to);
      if (points.length < 6) throw new InsufficientDataError("Patterns need at least 6 points.");
      const lagLimit = Math.min(maxLag ?? Math.min(Math.floor(points.length / 2), 500), points.length - 1);
      const found = seasonality(values(points), { maxLag: lagLimit, removeTrend });
      const spacingDays = meanSpacingDays(points);
      const withDays = (peak: { lag: number; strength: number }) => ({
        ...peak,
        periodDays: peak.lag * spacingDays,
      });
      return {
        stream,
        ...span(points),
        maxLag: lagLimit,
        meanSpacingDays: spacingDays,
        seasonality: found ? { ...withDays(found), peaks: found.peaks.map(withDays) } : null,
      };
    },
  });
}

function values(points: readonly Point[]): number[] {
  return points.map((p) => p.v);
}

function span(points: readonly Point[]) {
  return {
    count: points.length,
    firstAt: points[0] && iso(points[0].t),
    lastAt: points.at(-1) && iso((points.at(-1) as Point).t),
  };
}

function firstTime(points: readonly Point[], what: string): number {
  const first = points[0];
  if (!first) throw new InsufficientDataError(`${what} needs points; the window is empty.`);
  return first.t;
}

/** Mean spacing, not median: monthly gaps are 28–31 days and a period of 12 of them is a year. */
function meanSpacingDays(points: readonly Point[]): number {
  return ((points.at(-1) as Point).t - (points[0] as Point).t) / (points.length - 1) / DAY_MS;
}
