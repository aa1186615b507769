import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { VirtualClock } from "./clock";
import { DEFAULT_PLAN_LIMITS, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY, DEV_TOKEN } from "./constants";
import { Engine } from "./engine";
import { QStashHttpError } from "./errors";
import { buildContext, errorReply, json, type Route, readBody, send } from "./http";
import { devRoutes } from "./routes/dev";
import { dlqRoutes } from "./routes/dlq";
import { messageRoutes } from "./routes/messages";
import { flowControlRoutes, queueRoutes, scheduleRoutes, topicRoutes } from "./routes/resources";
import { workflowRoutes } from "./routes/workflows";
import { Schedules } from "./schedules";
import { Store } from "./store";

export interface QStashOptions {
  redisUrl: string;
  /** 0 or omitted = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: the official dev server's token. */
  token?: string;
  currentSigningKey?: string;
  nextSigningKey?: string;
  /** Default 1 MB (Upstash free tier). Larger publishes answer 413. */
  maxMessageBytes?: number;
  /** Default 100. `Upstash-Retries` above it answers 412 (plan quota). */
  maxRetries?: number;
  /** Default 365 days. Delays / not-before further ahead answer 400. */
  maxDelayMs?: number;
  /** Redis key prefix, default "qstash:". */
  keyPrefix?: string;
  onLog?: (line: string) => void;
}

export interface RunningQStash {
  url: string;
  port: number;
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
  /** The virtual clock (epoch ms) when the stand-in runs in this process; the dev model and budgets follow it. */
  now?: () => number;
  close(): Promise<void>;
}

/** Starts the QStash stand-in: HTTP API + delivery engine, all state in Redis. */
export async function startQStash(options: QStashOptions): Promise<RunningQStash> {
  const token = options.token ?? DEV_TOKEN;
  const keys = {
    current: options.currentSigningKey ?? DEV_CURRENT_SIGNING_KEY,
    next: options.nextSigningKey ?? DEV_NEXT_SIGNING_KEY,
  };
  const sink = options.onLog;
  const log = (line: string) => {
    try {
      sink?.(line);
    } catch {
      // A throwing log sink must not break the server.
    }
  };
  const host = options.host ?? "127.0.0.1";
  const store = new Store(options.redisUrl, options.keyPrefix ?? "qstash:");
  await waitForRedis(store, options.redisUrl);
  const clock = new VirtualClock(store);
  let baseUrl = "";
  const engine = new Engine({
    store,
    clock,
    signingKey: keys.current,
    limits: {
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_PLAN_LIMITS.maxMessageBytes,
      maxRetries: options.maxRetries ?? DEFAULT_PLAN_LIMITS.maxRetries,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_PLAN_LIMITS.maxDelayMs,
    },
    baseUrl: () => baseUrl,
    log,
  });
  const schedules = new Schedules(engine);
  engine.schedules = schedules;

  const routes: Route[] = [
    ...devRoutes(engine, clock),
    {
      methods: ["GET"],
      pattern: /^\/v2\/keys\/?$/,
      handler: async () => json({ current: keys.current, next: keys.next }),
    },
    {
      methods: ["POST"],
      pattern: /^\/v2\/keys\/rotate\/?$/,
      handler: async () => json({ current: keys.current, next: keys.next }),
    },
    ...workflowRoutes(engine),
    ...dlqRoutes(engine),
    ...messageRoutes(engine),
    ...queueRoutes(engine),
    ...scheduleRoutes(engine, schedules),
    ...topicRoutes(engine),
    ...flowControlRoutes(engine),
  ];

  let handling = 0;
  const server = createServer((req, res) => {
    handling++;
    void handle(req, res)
      .catch((error) => {
        log(`request handling failed: ${(error as Error).stack ?? String(error)}`);
        if (!res.headersSent) send(res, errorReply(error));
        else res.end();
      })
      .finally(() => {
        handling--;
      });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      send(res, errorReply(error));
      return;
    }
    const ctx = buildContext(req, body);
    try {
      const match = findRoute(routes, ctx.method, ctx.path);
      if (!match) throw new QStashHttpError(404, `not found: ${ctx.method} ${ctx.path}`);
      if (ctx.path.startsWith("/__dev/") && !isLoopback(ctx.callerIp)) {
        throw new QStashHttpError(403, "dev endpoints are only served to loopback callers");
      }
      if (!match.route.public) authorize(ctx.headers.Authorization, ctx.query.get("qstash_token"), token);
      ctx.params = match.params;
      const reply = await match.route.handler(ctx);
      send(res, reply);
      if (!ctx.path.startsWith("/__dev") && !(ctx.method === "GET" && ctx.path.startsWith("/v2/keys"))) {
        log(`api ${ctx.method} ${ctx.path} → ${reply.status}`);
      }
    } catch (error) {
      const reply = errorReply(error);
      if (reply.status >= 500)
        log(`api ${ctx.method} ${ctx.path} failed: ${(error as Error).stack ?? String(error)}`);
      else log(`api ${ctx.method} ${ctx.path} → ${reply.status} ${JSON.stringify(reply.body)}`);
      send(res, reply);
    }
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host}:${port}`;
  await engine.start();
  log(`QStash stand-in running at ${baseUrl}`);
  let closing: Promise<void> | undefined;

  return {
    url: baseUrl,
    port,
    token,
    currentSigningKey: keys.current,
    nextSigningKey: keys.next,
    now: () => clock.now(),
    close: () => {
      // Order matters: stop taking requests, stop deliveries (back on the due-queue), let API requests already
      // being handled finish writing to Redis, and only then drop connections and Redis.
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const stopped = engine.stop().catch((error) => log(`stop failed: ${(error as Error).message}`));
        if (!(await settlesWithin(stopped, STOP_WAIT_MS))) {
          log("Redis is not answering; giving up on it to stop");
          store.abandon();
          await stopped;
        }
        const deadline = Date.now() + 5000;
        while (handling > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        server.closeAllConnections();
        await closed;
        await store.close();
      })();
      return closing;
    },
  };
}

const STOP_WAIT_MS = 3_000;

function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([work.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

async function waitForRedis(store: Store, redisUrl: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`QStash stand-in: Redis at ${redisUrl} is not reachable`)),
      10_000,
    );
  });
  try {
    await Promise.race([store.redis.ping(), timeout]);
  } catch (error) {
    store.redis.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function isLoopback(ip: string): boolean {
  return ip === "::1" || ip.startsWith("127.");
}

function authorize(header: string | undefined, queryToken: string | null, token: string): void {
  const bearer = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  const given = bearer ?? queryToken ?? undefined;
  if (given === undefined)
    throw new QStashHttpError(401, "authorization header or qstash_token query parameter is required");
  if (given !== token) throw new QStashHttpError(401, "invalid token");
}

function findRoute(
  routes: Route[],
  method: string,
  path: string,
): { route: Route; params: string[] } | undefined {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (!route.methods.includes(method)) continue;
    return { route, params: match.slice(1).map((p) => p ?? "") };
  }
  if (pathMatched) throw new QStashHttpError(405, `method ${method} not allowed on ${path}`);
  return undefined;
}
