/**
 * One stand-in in its own Node process, so its memory can be measured apart from the app's:
 *
 *   node --import tsx dev/support/standin-process.ts <redis-rest|qstash|model> --port 0 --redis-url redis://…
 *
 * Meant to be started with `fork` (an IPC channel): it sends `{ type: "ready", … }` once listening,
 * answers `{ type: "memory" }` with `{ type: "memory", usage: process.memoryUsage() }`, and closes the
 * stand-in and exits on SIGTERM or when the parent goes away.
 */
import { parseArgs } from "node:util";
import { startDevModel } from "../model/server";
import { startQStash } from "../qstash/server";
import { startRedisRest } from "../redis-rest/server";

export type StandinKind = "redis-rest" | "qstash" | "model";

export type StandinMessage =
  | {
      type: "ready";
      url: string;
      port: number;
      pid: number;
      token?: string;
      currentSigningKey?: string;
      nextSigningKey?: string;
    }
  | { type: "memory"; usage: NodeJS.MemoryUsage }
  | { type: "error"; message: string };

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: "string", default: "0" },
      "redis-url": { type: "string" },
      token: { type: "string" },
      "key-prefix": { type: "string" },
      "max-message-bytes": { type: "string" },
      "tokens-per-minute": { type: "string" },
      "requests-per-minute": { type: "string" },
      "api-key": { type: "string" },
    },
  });
  const kind = positionals[0] as StandinKind;
  const port = Number(values.port);
  const num = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  const redisUrl = () => {
    if (!values["redis-url"]) throw new Error(`${kind} needs --redis-url`);
    return values["redis-url"];
  };
  let close: () => Promise<void>;
  let ready: StandinMessage;
  if (kind === "redis-rest") {
    const s = await startRedisRest({ redisUrl: redisUrl(), token: values.token ?? "", port });
    close = () => s.close();
    ready = { type: "ready", url: s.url, port: s.port, pid: process.pid, token: s.token };
  } else if (kind === "qstash") {
    const s = await startQStash({
      redisUrl: redisUrl(),
      port,
      keyPrefix: values["key-prefix"],
      maxMessageBytes: num(values["max-message-bytes"]),
    });
    close = () => s.close();
    ready = {
      type: "ready",
      url: s.url,
      port: s.port,
      pid: process.pid,
      token: s.token,
      currentSigningKey: s.currentSigningKey,
      nextSigningKey: s.nextSigningKey,
    };
  } else if (kind === "model") {
    const s = await startDevModel({
      port,
      apiKey: values["api-key"],
      tokensPerMinute: num(values["tokens-per-minute"]),
      requestsPerMinute: num(values["requests-per-minute"]),
    });
    close = () => s.close();
    ready = { type: "ready", url: s.url, port: s.port, pid: process.pid };
  } else {
    throw new Error(`unknown stand-in ${JSON.stringify(kind)} (redis-rest, qstash or model)`);
  }
  const send = (message: StandinMessage) => process.send?.(message);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await close().catch(() => {});
    process.exit(0);
  };
  process.on("message", (message: { type?: string }) => {
    if (message?.type === "memory") send({ type: "memory", usage: process.memoryUsage() });
  });
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  process.on("disconnect", () => void stop());
  send(ready);
  if (!process.send) console.log(JSON.stringify(ready));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.send?.({ type: "error", message } satisfies StandinMessage);
  console.error(message);
  process.exit(1);
});
