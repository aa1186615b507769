import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RedisBackend } from "./backend";
import { RequestHandler, type Settings } from "./handler";
import { type RedisRestStats, StatsRecorder } from "./stats";

export type { RedisRestStats } from "./stats";

export interface RedisRestOptions {
  /** The redis-server to forward to, e.g. `redis://127.0.0.1:6390`. */
  redisUrl: string;
  /** The token clients must present (`Authorization: Bearer <token>` or `?_token=`). */
  token: string;
  /** 0 or omitted: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Largest accepted request body; default DEFAULT_MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  onLog?: (line: string) => void;
}

export interface RunningRedisRest {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  token: string;
  stats(): RedisRestStats;
  close(): Promise<void>;
}

/**
 * Upstash's documented max request size for Free and Pay-as-you-go databases is 10 MB
 * (docs: redis/troubleshooting/max_request_size_exceeded, "ERR max request size exceeded").
 * Read as 10 MiB here, the more lenient of the two readings. Older pages quoted 1 MB.
 */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Longer than the idle timeout of the clients' keep-alive pools (undici: 4 s, Node's agent: 5 s),
 * so the server never closes a socket a client is about to reuse.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** How long start-up waits for Redis before listening anyway (requests get 503 until it is up). */
const BACKEND_START_WAIT_MS = 5_000;

/** Starts a local server speaking the Upstash Redis REST protocol in front of a real redis-server. */
export async function startRedisRest(options: RedisRestOptions): Promise<RunningRedisRest> {
  const settings = validate(options);
  const log = options.onLog ?? (() => {});
  const stats = new StatsRecorder();
  const backend = new RedisBackend(options.redisUrl, log);
  const handler = new RequestHandler(settings, backend, stats, log);
  const server = createServer((req, res) => void handler.handle(req, res));
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  try {
    await backend.waitUntilReady(BACKEND_START_WAIT_MS);
    await listen(server, settings.port, settings.host);
  } catch (error) {
    backend.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(settings.host)}:${port}`;
  log(`Upstash Redis REST stand-in on ${url} -> ${options.redisUrl}`);
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    token: options.token,
    stats: () => stats.snapshot(),
    close: () => {
      closing ??= shutDown(server, backend);
      return closing;
    },
  };
}

function validate(options: RedisRestOptions): Settings {
  if (typeof options.token !== "string" || options.token === "")
    throw new TypeError("token must be a non-empty string");
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0)
    throw new TypeError("maxBodyBytes must be a positive integer");
  return { token: options.token, port: options.port ?? 0, host: options.host ?? "127.0.0.1", maxBodyBytes };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

async function shutDown(server: Server, backend: RedisBackend): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Also ends open subscriber streams and idle keep-alive sockets.
  server.closeAllConnections();
  await closed;
  backend.close();
}
