import { InsufficientDataError, requireCount } from "./errors";
import { mean } from "./stats";
import { linearRegression } from "./trend";

/**
 * Sample autocorrelation function r(0..maxLag), the usual estimator
 * r(k) = Σ_{t<n−k} (x_t − x̄)(x_{t+k} − x̄) / Σ_t (x_t − x̄)²  (one denominator for every lag, as in
 * Box & Jenkins), so it assumes evenly spaced observations.
 */
export function autocorrelations(values: readonly number[], maxLag: number): number[] {
  requireCount(values, 3, "An autocorrelation");
  if (!Number.isInteger(maxLag) || maxLag < 1 || maxLag >= values.length) {
    throw new RangeError(`maxLag must be an integer in [1, ${values.length - 1}], got ${maxLag}.`);
  }
  const center = mean(values);
  const deviations = values.map((value) => value - center);
  const total = deviations.reduce((sum, d) => sum + d * d, 0);
  if (total === 0) throw new InsufficientDataError("An autocorrelation needs values that vary.");
  const result: number[] = [];
  for (let lag = 0; lag <= maxLag; lag++) {
    let sum = 0;
    for (let t = 0; t + lag < deviations.length; t++)
      sum += (deviations[t] as number) * (deviations[t + lag] as number);
    result.push(sum / total);
  }
  return result;
}

/** Residuals of the least-squares line over the index, so a trend does not mask the cycle. */
export function detrend(values: readonly number[]): number[] {
  const xs = values.map((_, i) => i);
  const { slope, intercept } = linearRegression(xs, values);
  return values.map((value, i) => value - (intercept + slope * i));
}

export interface AutocorrelationPeak {
  lag: number;
  /** r(lag). */
  strength: number;
  /** How far the peak rises above the lowest r between it and any higher r (topographic prominence). */
  prominence: number;
}

export interface Seasonality extends AutocorrelationPeak {
  /** Runners-up (at most 3, most prominent first), often multiples of the period. */
  peaks: AutocorrelationPeak[];
}

/**
 * Seasonality via autocorrelation: the cycle length is the lag of the most prominent positive local
 * maximum of r(k), k ≥ 1. Prominence rather than height, because r(k) of any smooth series stays high
 * at short lags, where noise makes small bumps; a real cycle makes r fall and rise again. Returns null
 * when r(k) has no positive peak in range.
 */
export function seasonality(
  values: readonly number[],
  { maxLag, removeTrend = true }: { maxLag: number; removeTrend?: boolean },
): Seasonality | null {
  const r = autocorrelations(removeTrend ? detrend(values) : [...values], maxLag);
  const peaks: AutocorrelationPeak[] = [];
  for (let lag = 1; lag < maxLag; lag++) {
    const here = r[lag] as number;
    if (here > 0 && here > (r[lag - 1] as number) && here >= (r[lag + 1] as number)) {
      peaks.push({ lag, strength: here, prominence: prominence(r, lag) });
    }
  }
  const [best, ...others] = peaks.sort((a, b) => b.prominence - a.prominence);
  return best ? { ...best, peaks: others.slice(0, 3) } : null;
}

/** r[lag] minus the higher of the two lowest points met walking each way until r exceeds r[lag] (or the end). */
function prominence(r: readonly number[], lag: number): number {
  const height = r[lag] as number;
  const lowestToward = (step: 1 | -1) => {
    let lowest = height;
    for (let k = lag + step; k >= 0 && k < r.length; k += step) {
      const value = r[k] as number;
      if (value > height) break;
      lowest = Math.min(lowest, value);
    }
    return lowest;
  };
  return height - Math.max(lowestToward(-1), lowestToward(1));
}
