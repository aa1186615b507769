/** Small statistics helpers for the benchmarks (no timing assertions anywhere: figures only). */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** Consecutive differences: marks [a, b, c] → [b − a, c − b]. */
export function intervals(marks: readonly number[]): number[] {
  return marks.slice(1).map((mark, index) => mark - (marks[index] as number));
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export const ratio = (value: number, base: number): number => round(value / base, 2);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `everyMs` until it is true or `timeoutMs` passed; returns whether it became true. */
export async function pollUntil(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(everyMs);
  }
  return false;
}

/**
 * Wall time during which at least one of possibly overlapping activities was in progress: two requests
 * in flight at once count once (summing their durations would count the overlap twice).
 */
export class OverlapClock {
  private active = 0;
  private since = 0;
  private total = 0;

  enter(): void {
    if (this.active++ === 0) this.since = performance.now();
  }

  exit(): void {
    if (--this.active === 0) this.total += performance.now() - this.since;
  }

  /** Time covered so far, including the activity in progress. */
  get ms(): number {
    return this.total + (this.active > 0 ? performance.now() - this.since : 0);
  }
}
