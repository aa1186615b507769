import { InsufficientDataError, requireCount } from "./errors";
import { mean } from "./stats";

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination 1 − SSres/SStot; null when y is constant (there is no variance to explain). */
  r2: number | null;
  n: number;
}

/** Ordinary least squares y = intercept + slope·x, from centered sums. */
export function linearRegression(xs: readonly number[], ys: readonly number[]): LinearFit {
  if (xs.length !== ys.length) throw new RangeError(`x has ${xs.length} values, y ${ys.length}.`);
  requireCount(xs, 2, "A trend");
  const xMean = mean(xs);
  const yMean = mean(ys);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = (xs[i] as number) - xMean;
    const dy = (ys[i] as number) - yMean;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) throw new InsufficientDataError("A trend needs at least two distinct x values.");
  const slope = sxy / sxx;
  // For a least-squares line SSres = SStot − slope·Sxy, so r² = slope·Sxy / SStot.
  const r2 = syy === 0 ? null : (slope * sxy) / syy;
  return { slope, intercept: yMean - slope * xMean, r2, n: xs.length };
}
