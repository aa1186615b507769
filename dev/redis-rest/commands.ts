import type { CommandArgs } from "./types";

/**
 * Which commands the stand-in refuses, and why. Every REST request shares one backend connection,
 * so a command that changes that connection's state (MULTI, SELECT, SUBSCRIBE, CLIENT REPLY OFF...)
 * would leak into other requests, and a blocking command would stall every request queued behind
 * it. Hosted Upstash has no such connection either: its REST API documents WATCH/UNWATCH/DISCARD,
 * SELECT (only db 0) and the blocking pops / blocking XREAD as unsupported.
 */

const CONNECTION_STATE_HINTS: Record<string, string> = {
  MULTI: "send the commands to POST /multi-exec (redis.multi()) instead",
  EXEC: "send the commands to POST /multi-exec (redis.multi()) instead",
  DISCARD: "send the commands to POST /multi-exec (redis.multi()) instead",
  WATCH: "optimistic locking is not available over REST; use a Lua script (EVAL) or POST /multi-exec",
  UNWATCH: "optimistic locking is not available over REST; use a Lua script (EVAL) or POST /multi-exec",
  SELECT: "only database 0 exists over REST; use key prefixes instead",
  SUBSCRIBE:
    "use POST /subscribe/<channel> (redis.subscribe()), which streams messages as server-sent events",
  SSUBSCRIBE:
    "use POST /subscribe/<channel> (redis.subscribe()), which streams messages as server-sent events",
  PSUBSCRIBE:
    "use POST /psubscribe/<pattern> (redis.psubscribe()), which streams messages as server-sent events",
  UNSUBSCRIBE: "close the POST /subscribe/<channel> stream to unsubscribe",
  SUNSUBSCRIBE: "close the POST /subscribe/<channel> stream to unsubscribe",
  PUNSUBSCRIBE: "close the POST /psubscribe/<pattern> stream to unsubscribe",
  AUTH: "authenticate with the Authorization: Bearer <token> header",
  HELLO: "the REST API always answers RESP2 values as JSON; authenticate with the Bearer token",
  QUIT: "REST requests are stateless; just stop sending requests",
  RESET: "REST requests are stateless; there is no connection state to reset",
  MONITOR: "MONITOR is not available in this stand-in",
  READONLY: "cluster connection modes do not exist over REST",
  READWRITE: "cluster connection modes do not exist over REST",
  ASKING: "cluster connection modes do not exist over REST",
  SYNC: "replication is not available over REST",
  PSYNC: "replication is not available over REST",
  REPLCONF: "replication is not available over REST",
};

/** CLIENT subcommands that only read; every other one changes or kills connections. */
const READ_ONLY_CLIENT_SUBCOMMANDS = new Set(["SETINFO", "ID", "INFO", "LIST", "GETNAME"]);

const BLOCKING_ALTERNATIVES: Record<string, string> = {
  BLPOP: "LPOP",
  BRPOP: "RPOP",
  BRPOPLPUSH: "LMOVE (or RPOPLPUSH)",
  BLMOVE: "LMOVE",
  BLMPOP: "LMPOP",
  BZPOPMIN: "ZPOPMIN",
  BZPOPMAX: "ZPOPMAX",
  BZMPOP: "ZMPOP",
};

/** Returns the error to answer instead of running the command, or undefined when it may run. */
export function refusalFor(command: CommandArgs): string | undefined {
  const name = command[0].toUpperCase();
  const hint = CONNECTION_STATE_HINTS[name];
  if (hint) return `ERR ${name} is not supported over the REST API: ${hint}`;
  if (name === "CLIENT") return refusalForClient(command);
  const alternative = BLOCKING_ALTERNATIVES[name];
  if (alternative) {
    return `ERR ${name} is a blocking command and is not supported over the REST API: poll with ${alternative} instead`;
  }
  if ((name === "XREAD" || name === "XREADGROUP") && hasBlockOption(command)) {
    return `ERR ${name} with BLOCK is not supported over the REST API: drop the BLOCK option and poll instead`;
  }
  if (name === "WAIT" || name === "WAITAOF") {
    return `ERR ${name} is a blocking command and is not supported over the REST API (there are no replicas to wait for)`;
  }
  return undefined;
}

function refusalForClient(command: CommandArgs): string | undefined {
  const subcommand = (command[1] ?? "").toUpperCase();
  if (READ_ONLY_CLIENT_SUBCOMMANDS.has(subcommand)) return undefined;
  return `ERR CLIENT ${subcommand} is not supported over the REST API: it would change the shared backend connection`;
}

/**
 * XREAD/XREADGROUP options come before the STREAMS keyword; anything after it is keys and ids.
 * XREADGROUP starts with GROUP <group> <consumer>, names that could be spelled "block".
 */
function hasBlockOption(command: CommandArgs): boolean {
  const firstOption = command[0].toUpperCase() === "XREADGROUP" ? 4 : 1;
  for (const arg of command.slice(firstOption)) {
    const word = arg.toUpperCase();
    if (word === "STREAMS") return false;
    if (word === "BLOCK") return true;
  }
  return false;
}
