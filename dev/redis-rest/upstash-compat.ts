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

/** Rewrites Upstash-only command forms into stock Redis equivalents; others pass through. */
export function rewriteUpstashOnlyForms(command: CommandArgs): CommandArgs {
  const [name, ...args] = command;
  if (name.toUpperCase() !== "SCAN") return command;
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
