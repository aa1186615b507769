import { createStreamTools, type StreamTools } from "../streams/analysis/tools";
import type { StreamStore } from "../streams/types";

export interface Window {
  from?: string;
  to?: string;
}

/** Phase 2's figures for one stream, straight from the analysis tools (so they match the tools' tests). */
export interface StreamAnalysis {
  stream: string;
  count: number;
  firstAt?: string;
  lastAt?: string;
  mean: number;
  sd: number | null;
  min: number;
  max: number;
  slopePerYear: number;
  r2: number | null;
  anomalies: { total: number; largest?: { at: string; value: number; z: number } };
}

export interface Seasonality {
  stream: string;
  lag: number;
  periodDays: number;
  strength: number;
}

export interface Correlation {
  a: string;
  b: string;
  r: number;
  n: number;
}

/** The deterministic analyses behind Jeeves's discoveries; the agents only write prose about them. */
export function createAnalyses(store: StreamStore) {
  const tools = createStreamTools(store);
  return {
    tools,
    analyzeStream: (stream: string, window: Window) => analyzeStream(tools, stream, window),
    seasonality: (stream: string) => seasonalityOf(tools, stream),
    correlations: (streams: string[], window: Window) => correlationsOf(tools, streams, window),
  };
}

async function analyzeStream(tools: StreamTools, stream: string, window: Window): Promise<StreamAnalysis> {
  const input = { stream, ...window };
  const [stats, trend, anomalies] = await Promise.all([
    tools.statistics.execute(tools.statistics.inputSchema.parse(input)),
    tools.trend.execute(tools.trend.inputSchema.parse(input)),
    tools.anomalies.execute(tools.anomalies.inputSchema.parse({ ...input, method: "zscore", limit: 1 })),
  ]);
  const zscore = anomalies.zscore as {
    total: number;
    anomalies: Array<{ at: string; value: number; z: number }>;
  };
  return {
    stream,
    count: stats.count,
    firstAt: stats.firstAt,
    lastAt: stats.lastAt,
    mean: stats.mean,
    sd: stats.sd,
    min: stats.min,
    max: stats.max,
    slopePerYear: trend.slopePerYear,
    r2: trend.r2,
    anomalies: { total: zscore.total, ...(zscore.anomalies[0] && { largest: zscore.anomalies[0] }) },
  };
}

async function seasonalityOf(tools: StreamTools, stream: string): Promise<Seasonality | null> {
  const result = await tools.patterns.execute(tools.patterns.inputSchema.parse({ stream }));
  if (!result.seasonality) return null;
  const { lag, periodDays, strength } = result.seasonality;
  return { stream, lag, periodDays, strength };
}

async function correlationsOf(tools: StreamTools, streams: string[], window: Window): Promise<Correlation[]> {
  if (streams.length < 2) return [];
  const input = tools.correlationMatrix.inputSchema.parse({ streams, ...window });
  const { pairs } = await tools.correlationMatrix.execute(input);
  return pairs.flatMap(({ a, b, r, n }) => (r === null ? [] : [{ a, b, r, n }]));
}
