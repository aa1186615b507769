import { expect } from "vitest";

/** `toBeCloseTo` element by element, with the same length. */
export function expectAllClose(actual: readonly number[], expected: readonly number[], digits: number): void {
  expect(actual).toHaveLength(expected.length);
  for (const [i, value] of actual.entries()) expect(value).toBeCloseTo(expected[i] as number, digits);
}
