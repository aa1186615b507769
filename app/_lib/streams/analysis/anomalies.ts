import type { Point } from "../types";
import { requireCount } from "./errors";
import { mean, quantileOfSorted, sampleStandardDeviation, sortedAscending } from "./stats";

export interface ZScoreAnomaly extends Point {
  /** (v − mean) / sample sd. */
  z: number;
}

/** Points at least `threshold` sample standard deviations from the mean; none when the series is flat. */
export function zScoreAnomalies(points: readonly Point[], threshold = 3): ZScoreAnomaly[] {
  requireCount(points, 2, "A z-score");
  const values = points.map((p) => p.v);
  const center = mean(values);
  const sd = sampleStandardDeviation(values);
  if (sd === 0) return [];
  return points.map((p) => ({ ...p, z: (p.v - center) / sd })).filter((p) => Math.abs(p.z) >= threshold);
}

export interface IqrFences {
  q1: number;
  q3: number;
  iqr: number;
  lower: number;
  upper: number;
}

export interface IqrAnomaly extends Point {
  side: "low" | "high";
}

/** Tukey's fences: Q1 − k·IQR and Q3 + k·IQR, with type-7 quartiles. */
export function iqrFences(values: readonly number[], k = 1.5): IqrFences {
  const sorted = sortedAscending(values);
  const q1 = quantileOfSorted(sorted, 0.25);
  const q3 = quantileOfSorted(sorted, 0.75);
  const iqr = q3 - q1;
  return { q1, q3, iqr, lower: q1 - k * iqr, upper: q3 + k * iqr };
}

/** Points strictly outside Tukey's fences. */
export function iqrAnomalies(
  points: readonly Point[],
  k = 1.5,
): { fences: IqrFences; anomalies: IqrAnomaly[] } {
  requireCount(points, 1, "IQR fences");
  const fences = iqrFences(
    points.map((p) => p.v),
    k,
  );
  const anomalies: IqrAnomaly[] = [];
  for (const p of points) {
    if (p.v < fences.lower) anomalies.push({ ...p, side: "low" });
    else if (p.v > fences.upper) anomalies.push({ ...p, side: "high" });
  }
  return { fences, anomalies };
}
