import { describe, expect, it } from "vitest";
import {
  alignByTimestamp,
  autocorrelations,
  correlationMatrix,
  InsufficientDataError,
  iqrAnomalies,
  linearRegression,
  pearson,
  quantileOfSorted,
  seasonality,
  summarize,
  zScoreAnomalies,
} from "@/app/_lib/streams/analysis";
import { expectAllClose } from "./expect-close";

// Every expected figure below is worked out by hand in the comment next to it.
const points = (values: number[]) => values.map((v, i) => ({ t: i * 1000, v }));

describe("statistics", () => {
  it("summarizes a small series", () => {
    // mean 40/8 = 5; Σ(x−5)² = 9+1+1+1+0+0+4+16 = 32; sample sd = √(32/7).
    // Type 7 on [2,4,4,4,5,5,7,9]: p=.25 → h=1.75 → 4; p=.5 → h=3.5 → 4.5; p=.75 → h=5.25 → 5+.25·2 = 5.5;
    // p=.1 → h=.7 → 2+.7·2 = 3.4.
    const summary = summarize([5, 2, 9, 4, 4, 7, 4, 5], [0.1, 0.25, 0.5, 0.75, 1]);
    expect(summary).toMatchObject({ count: 8, mean: 5, min: 2, max: 9 });
    expect(summary.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expectAllClose(
      summary.quantiles.map((q) => q.value),
      [3.4, 4, 4.5, 5.5, 9],
      12,
    );
  });

  it("has no sample sd for one value and refuses an empty series", () => {
    expect(summarize([3]).sd).toBeNull();
    expect(() => summarize([])).toThrow(InsufficientDataError);
    expect(() => quantileOfSorted([1], 1.5)).toThrow(RangeError);
  });
});

describe("trend", () => {
  it("fits an exact line", () => {
    expect(linearRegression([0, 1, 2, 3], [1, 3, 5, 7])).toEqual({ slope: 2, intercept: 1, r2: 1, n: 4 });
  });

  it("fits a noisy line", () => {
    // x̄=3, ȳ=4, Sxy=6, Sxx=10 → slope .6, intercept 4−1.8 = 2.2; SStot=6, SSreg=.6·6 → r² = .6.
    const fit = linearRegression([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    expect(fit.slope).toBeCloseTo(0.6, 12);
    expect(fit.intercept).toBeCloseTo(2.2, 12);
    expect(fit.r2).toBeCloseTo(0.6, 12);
  });

  it("has no r² for a flat series and refuses a single x", () => {
    expect(linearRegression([1, 2, 3], [4, 4, 4])).toMatchObject({ slope: 0, r2: null });
    expect(() => linearRegression([1, 1], [1, 2])).toThrow(InsufficientDataError);
  });
});

describe("anomalies", () => {
  // Nine 10s and one 50: mean 14, Σ(x−14)² = 9·16 + 36² = 1440, sample sd = √160, z(50) = 36/√160 ≈ 2.846.
  const spiky = points([10, 10, 10, 10, 10, 50, 10, 10, 10, 10]);

  it("finds z-scores at or past the threshold", () => {
    expect(zScoreAnomalies(spiky, 3)).toEqual([]);
    const [found] = zScoreAnomalies(spiky, 2.5);
    expect(found).toMatchObject({ t: 5000, v: 50 });
    expect(found?.z).toBeCloseTo(36 / Math.sqrt(160), 12);
    expect(zScoreAnomalies(points([1, 1, 1]))).toEqual([]);
  });

  it("finds points outside Tukey's fences", () => {
    // Q1 (h=2.25) = Q3 (h=6.75) = 10 → IQR 0, fences 10 and 10: only the 50 is outside.
    const { fences, anomalies } = iqrAnomalies(spiky);
    expect(fences).toEqual({ q1: 10, q3: 10, iqr: 0, lower: 10, upper: 10 });
    expect(anomalies).toEqual([{ t: 5000, v: 50, side: "high" }]);
    // [1..8, −20]: Q1 (h=2) = 2, Q3 (h=6) = 6, IQR 4 → fences −4 and 12.
    expect(iqrAnomalies(points([1, 2, 3, 4, 5, 6, 7, 8, -20])).anomalies).toEqual([
      { t: 8000, v: -20, side: "low" },
    ]);
  });
});

describe("correlation", () => {
  it("computes Pearson's r", () => {
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])).toBe(1);
    expect(pearson([1, 2, 3, 4, 5], [10, 8, 6, 4, 2])).toBe(-1);
    // dx = dy-ish: Sxy = 4+0+0+2+2 = 8, Sxx = Syy = 10 → r = .8.
    expect(pearson([1, 2, 3, 4, 5], [1, 3, 2, 5, 4])).toBeCloseTo(0.8, 12);
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNull();
  });

  it("aligns two series on shared timestamps", () => {
    const a = [1, 2, 3, 4, 5].map((t) => ({ t, v: t * 10 }));
    const b = [2, 3, 4, 6].map((t) => ({ t, v: -t }));
    expect(alignByTimestamp(a, b)).toEqual({ xs: [20, 30, 40], ys: [-2, -3, -4] });
  });

  it("builds a symmetric matrix with each pair's own n", () => {
    const x = points([1, 2, 3, 4, 5]);
    const y = points([1, 3, 2, 5, 4]);
    const z = [{ t: 0, v: 1 }];
    const { streams, matrix, pairs } = correlationMatrix([
      { id: "x", points: x },
      { id: "y", points: y },
      { id: "z", points: z },
    ]);
    expect(streams).toEqual(["x", "y", "z"]);
    expect(matrix[0]?.[1]).toBeCloseTo(0.8, 12);
    expect(matrix[1]?.[0]).toBe(matrix[0]?.[1]);
    expect(matrix[0]?.[2]).toBeNull();
    expect(matrix[2]?.[2]).toBe(1);
    expect(pairs.map((p) => [p.a, p.b, p.n])).toEqual([
      ["x", "y", 5],
      ["x", "z", 1],
      ["y", "z", 1],
    ]);
  });
});

describe("patterns", () => {
  // [1, 0, −1, 0] × 4: mean 0, Σx² = 8. r(1) = r(3) = 0 (every product has a 0);
  // r(2) = 7 products of −1 / 8; r(4) = 6/8; r(6) = −5/8; r(8) = 4/8.
  const cycle = [1, 0, -1, 0, 1, 0, -1, 0, 1, 0, -1, 0, 1, 0, -1, 0];

  it("computes the autocorrelation function", () => {
    expectAllClose(autocorrelations(cycle, 8), [1, 0, -0.875, 0, 0.75, 0, -0.625, 0, 0.5], 12);
  });

  it("finds the period as the most prominent peak", () => {
    // Peak at 4 (0.75); lowest r walking left before exceeding .75: −.875, right to the end: −.625.
    const found = seasonality(cycle, { maxLag: 8, removeTrend: false });
    expect(found).toMatchObject({ lag: 4, strength: 0.75, peaks: [] });
    expect(found?.prominence).toBeCloseTo(1.375, 12);
  });

  it("sees the cycle through a linear trend once the trend is removed", () => {
    const trending = cycle.map((v, i) => v + 0.5 * i);
    expect(seasonality(trending, { maxLag: 8 })?.lag).toBe(4);
    expect(seasonality(trending, { maxLag: 8, removeTrend: false })).toBeNull();
  });

  it("refuses flat or too short series", () => {
    expect(() => autocorrelations([2, 2, 2, 2], 2)).toThrow(InsufficientDataError);
    expect(() => autocorrelations([1, 2], 1)).toThrow(InsufficientDataError);
    expect(() => autocorrelations([1, 2, 3], 3)).toThrow(RangeError);
  });
});
