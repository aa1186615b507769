/**
 * A RESP2 reply as the backend connection hands it over: bulk and status strings as raw bytes,
 * integers as their exact decimal digits (int64 does not fit a JS number), nil as null, and Redis
 * errors nested inside arrays (EXEC results, Lua tables) as Error instances.
 */
export type RedisReply = Buffer | string | null | Error | RedisReply[];

/** One command as received over REST, every argument already turned into text. */
export type CommandArgs = [name: string, ...args: string[]];

/** How strings are written into JSON responses, chosen by the `Upstash-Encoding` request header. */
export type ResponseEncoding = "base64" | "utf8";

/** A command ready for the backend, plus an optional fix-up of its reply. */
export interface PreparedCommand {
  args: CommandArgs;
  mapReply?: (reply: RedisReply) => RedisReply;
}
