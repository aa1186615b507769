import type { CommandArgs } from "./types";

/**
 * `SCAN ... WITHTYPE` is an Upstash extension (the SDK sends it for `scan(c, { withType: true })`):
 * it answers `[cursor, [key1, type1, key2, type2, ...]]`. Stock Redis has no such option, so the
 * command runs as a script doing SCAN and then TYPE per key, atomically like a single command.
 */
const SCAN_WITH_TYPE_SCRIPT = `local page = redis.call('SCAN', unpack(ARGV))
local typed = {}
for _, key in ipairs(page[2]) do
  typed[#typed + 1] = key
  typed[#typed + 1] = redis.call('TYPE', key)['ok']
end
return {page[1], typed}`;

/**
 * `COPY k k`: stock Redis answers "ERR source and destination objects are the same"; Upstash answers 0
 * (the SDK's "NOT_COPIED"), as upstash/redis-js's own COPY test expects.
 */
const NOT_COPIED_SCRIPT = "return 0";

/** Rewrites Upstash-only command forms into stock Redis equivalents; others pass through. */
export function rewriteUpstashOnlyForms(command: CommandArgs): CommandArgs {
  const [name, ...args] = command;
  const upper = name.toUpperCase();
  if (upper === "COPY" && isCopyOntoItself(args)) return ["EVAL", NOT_COPIED_SCRIPT, "0"];
  if (upper !== "SCAN") return command;
  const withTypeIndex = withTypeFlagIndex(args);
  if (withTypeIndex === undefined) return command;
  const scanArgs = args.filter((_, index) => index !== withTypeIndex);
  return ["EVAL", SCAN_WITH_TYPE_SCRIPT, "0", ...scanArgs];
}

const SCAN_OPTIONS_WITH_VALUE = new Set(["MATCH", "COUNT", "TYPE"]);

/** Index of a WITHTYPE flag among SCAN's arguments, skipping the cursor and option values. */
function withTypeFlagIndex(args: string[]): number | undefined {
  for (let index = 1; index < args.length; index++) {
    const word = (args[index] ?? "").toUpperCase();
    if (word === "WITHTYPE") return index;
    if (SCAN_OPTIONS_WITH_VALUE.has(word)) index++;
  }
  return undefined;
}

/** Same source and destination, in the same database (no `DB` option). */
function isCopyOntoItself(args: string[]): boolean {
  const [source, destination, ...options] = args;
  return source !== undefined && source === destination && !options.some((o) => o.toUpperCase() === "DB");
}
