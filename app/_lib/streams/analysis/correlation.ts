import type { Point } from "../types";
import { requireCount } from "./errors";
import { mean } from "./stats";

/** Pearson's r; null when either side is constant (r is undefined then). */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length) throw new RangeError(`x has ${xs.length} values, y ${ys.length}.`);
  requireCount(xs, 2, "A correlation");
  const xMean = mean(xs);
  const yMean = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = (xs[i] as number) - xMean;
    const dy = (ys[i] as number) - yMean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  // Rounding can push a perfect correlation a hair past ±1.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Pairs the values of two series observed at exactly the same timestamps (an inner join on t). */
export function alignByTimestamp(a: readonly Point[], b: readonly Point[]): { xs: number[]; ys: number[] } {
  const bByTime = new Map(b.map((p) => [p.t, p.v]));
  const xs: number[] = [];
  const ys: number[] = [];
  for (const { t, v } of a) {
    const other = bByTime.get(t);
    if (other === undefined) continue;
    xs.push(v);
    ys.push(other);
  }
  return { xs, ys };
}

export interface PairCorrelation {
  a: string;
  b: string;
  /** Null when fewer than 2 shared timestamps or one side is constant over them. */
  r: number | null;
  /** Shared timestamps the coefficient was computed on. */
  n: number;
}

export function correlateAligned(
  aId: string,
  a: readonly Point[],
  bId: string,
  b: readonly Point[],
): PairCorrelation {
  const { xs, ys } = alignByTimestamp(a, b);
  return { a: aId, b: bId, r: xs.length >= 2 ? pearson(xs, ys) : null, n: xs.length };
}

/** Pairwise Pearson over every pair, each pair aligned on its own shared timestamps. */
export function correlationMatrix(series: ReadonlyArray<{ id: string; points: readonly Point[] }>): {
  streams: string[];
  matrix: Array<Array<number | null>>;
  pairs: PairCorrelation[];
} {
  const streams = series.map((s) => s.id);
  const matrix = series.map((_, i) => series.map((__, j) => (i === j ? 1 : null)));
  const pairs: PairCorrelation[] = [];
  for (let i = 0; i < series.length; i++) {
    for (let j = i + 1; j < series.length; j++) {
      const [a, b] = [series[i], series[j]] as [(typeof series)[number], (typeof series)[number]];
      const pair = correlateAligned(a.id, a.points, b.id, b.points);
      pairs.push(pair);
      (matrix[i] as Array<number | null>)[j] = pair.r;
      (matrix[j] as Array<number | null>)[i] = pair.r;
    }
  }
  return { streams, matrix, pairs };
}
