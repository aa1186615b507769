import { createHash } from "node:crypto";

/**
 * `allow-key-locking` is an Upstash-only script flag (Upstash "Key-Based Locking"); real Redis 7
 * rejects the script with `ERR Unexpected flag in script shebang: allow-key-locking`.
 * @upstash/ratelimit >= 2.1 starts its scripts with `#!lua flags=allow-key-locking`.
 */
export const UPSTASH_ONLY_FLAG = "allow-key-locking";

const SHEBANG_LINE = /^#!lua(?=[ \t\r\n]|$)([^\n]*)/;

/**
 * Removes the Upstash-only flag from a script's `#!lua` line so stock Redis accepts it. Other flags
 * stay. When no flag remains the shebang text goes but its newline stays, so Lua error messages
 * keep their line numbers. Dropping the shebang (rather than leaving a bare `#!lua`) matters for
 * EVAL_RO: Redis treats a flag-less shebang script as a writer and refuses it there.
 * Returns the script unchanged when it carries no such flag.
 */
export function stripUpstashOnlyFlags(script: string): string {
  const match = SHEBANG_LINE.exec(script);
  if (!match) return script;
  const options = (match[1] ?? "")
    .trim()
    .split(/[ \t\r]+/)
    .filter(Boolean);
  const flagsIndex = options.findIndex((option) => option.startsWith("flags="));
  const flagsOption = options[flagsIndex];
  if (flagsOption === undefined) return script;
  const flags = flagsOption.slice("flags=".length).split(",");
  if (!flags.includes(UPSTASH_ONLY_FLAG)) return script;
  const keptFlags = flags.filter((flag) => flag !== UPSTASH_ONLY_FLAG && flag !== "");
  const keptOptions = options.filter((_, index) => index !== flagsIndex);
  if (keptFlags.length > 0) keptOptions.push(`flags=${keptFlags.join(",")}`);
  const shebang = keptFlags.length > 0 || keptOptions.length > 0 ? ["#!lua", ...keptOptions].join(" ") : "";
  return shebang + script.slice(match[0].length);
}

/** The SHA1 Redis (and the Upstash SDK) use to name a script: hex of the UTF-8 bytes. */
export function scriptSha(script: string): string {
  return createHash("sha1").update(script, "utf8").digest("hex");
}
