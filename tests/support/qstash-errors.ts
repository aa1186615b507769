import { QstashError } from "@upstash/qstash";
import { expect } from "vitest";

/** The QstashError a client call rejects with (the test fails if it resolves or throws anything else). */
export async function qstashRejection(work: Promise<unknown>): Promise<QstashError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QstashError);
  return error as QstashError;
}
