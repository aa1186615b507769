import { requireCount } from "./errors";

export function mean(values: readonly number[]): number {
  requireCount(values, 1, "A mean");
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * Sample standard deviation (divides by n − 1, Bessel's correction): the series is treated as a sample
 * of the process that produced it. Two passes (mean first) to avoid the cancellation of Σx² − n·x̄².
 */
export function sampleStandardDeviation(values: readonly number[]): number {
  requireCount(values, 2, "A sample standard deviation");
  const center = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - center) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/**
 * The p-quantile by linear interpolation between order statistics: h = (n − 1)·p, then
 * x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]) on the sorted values. This is Hyndman & Fan's type 7, the default
 * of R, NumPy and Excel's PERCENTILE.INC. `sorted` must be ascending.
 */
export function quantileOfSorted(sorted: readonly number[], p: number): number {
  requireCount(sorted, 1, "A quantile");
  if (!(p >= 0 && p <= 1)) throw new RangeError(`A quantile's probability must be in [0, 1], got ${p}.`);
  const h = (sorted.length - 1) * p;
  const below = Math.floor(h);
  const lower = sorted[below] as number;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lower + (h - below) * (upper - lower);
}

export function sortedAscending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export const DEFAULT_PROBABILITIES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;

export interface Summary {
  count: number;
  mean: number;
  /** Sample standard deviation (n − 1); null for a single value. */
  sd: number | null;
  min: number;
  max: number;
  /** Type-7 quantiles (see `quantileOfSorted`). */
  quantiles: Array<{ p: number; value: number }>;
}

export function summarize(
  values: readonly number[],
  probabilities: readonly number[] = DEFAULT_PROBABILITIES,
): Summary {
  requireCount(values, 1, "A summary");
  const sorted = sortedAscending(values);
  return {
    count: values.length,
    mean: mean(values),
    sd: values.length >= 2 ? sampleStandardDeviation(values) : null,
    min: sorted[0] as number,
    max: sorted.at(-1) as number,
    quantiles: probabilities.map((p) => ({ p, value: quantileOfSorted(sorted, p) })),
  };
}
