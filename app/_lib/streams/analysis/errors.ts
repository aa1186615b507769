/** The series is too short (or too flat) for the statistic asked for. */
export class InsufficientDataError extends Error {
  override name = "InsufficientDataError";
}

export function requireCount(values: readonly unknown[], minimum: number, what: string): void {
  if (values.length < minimum) {
    throw new InsufficientDataError(`${what} needs at least ${minimum} points, got ${values.length}.`);
  }
}
