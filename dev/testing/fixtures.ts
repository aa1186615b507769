import { createHash } from "node:crypto";

/**
 * `bytes` characters of hex from chained SHA-256 hashes, different per seed: text that compression
 * cannot shrink much, for tests and benchmarks of large step outputs.
 */
export function incompressibleText(seed: string, bytes: number): string {
  const parts: string[] = [];
  let hash = seed;
  for (let length = 0; length < bytes; length += 64) {
    hash = createHash("sha256").update(hash).digest("hex");
    parts.push(hash);
  }
  return parts.join("").slice(0, bytes);
}
