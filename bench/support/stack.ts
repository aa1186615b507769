import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createOpenAI, type OpenAIProvider } from "@ai-sdk/openai";
import { Client as QStashClient, Receiver } from "@upstash/qstash";
import { Redis } from "@upstash/redis";
import { Client as WorkflowClient, type WorkflowContext } from "@upstash/workflow";
import { serve } from "@upstash/workflow/nextjs";
import { type DevStack, startDevStack } from "../../dev/stack";
import { readBody, toRequest, writeResponse } from "../../dev/support/fetch-bridge";
import { createRouter } from "../../lib/http/router";
import { createOvertime, type Overtime } from "../../lib/overtime";
import type { AnyWorkflow } from "../../lib/workflow/define";
import type { AiConfig } from "../../lib/workflow/services";
import { FetchMeter } from "./fetch-meter";
import { OverlapClock, pollUntil } from "./numbers";

/** A plain `@upstash/workflow` route function: no Overtime, no tracking. */
export type RawWorkflow = (context: WorkflowContext<unknown>) => Promise<unknown>;

export interface BenchStackOptions {
  /** Served through Overtime at /api/workflows/<name> (tracking on). */
  tracked?: readonly AnyWorkflow[];
  /** Served through the raw SDK `serve` at /raw/<name>. */
  raw?: Record<string, RawWorkflow>;
  ai?: AiConfig;
  model?: { tokensPerMinute?: number; requestsPerMinute?: number };
}

export interface QStashStats {
  published: number;
  delivered: number;
  byKind: Record<string, number>;
}

export interface RedisStats {
  requests: number;
  commands: number;
}

export interface AppTotals {
  invocations: number;
  bytesDelivered: number;
  /** Time with at least one workflow request between arriving and its response written. */
  busyMs: number;
}

/**
 * The dev stand-ins plus one node:http app that serves the same workflows twice: through Overtime
 * (tracking) and through the raw SDK. Both share one QStash stand-in and one Redis, in one process.
 */
export interface BenchStack {
  dev: DevStack;
  url: string;
  overtime: Overtime;
  meter: FetchMeter;
  openai: OpenAIProvider;
  totals(): AppTotals;
  startTracked(workflow: string, input: unknown): Promise<string>;
  startRaw(workflow: string, body: unknown): Promise<string>;
  waitForIdle(timeoutMs?: number): Promise<void>;
  advanceClock(ms: number): Promise<void>;
  qstashStats(): Promise<QStashStats>;
  redisStats(): Promise<RedisStats>;
  stop(): Promise<void>;
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "overtime-bench-"));
  const dev = await startDevStack({ dataDir, persist: false, ports: {}, model: options.model });
  const app = new BenchApp();
  const url = await app.listen();
  const overtime = createOvertime({
    workflows: options.tracked ?? [],
    redis: new Redis({ url: dev.env.UPSTASH_REDIS_REST_URL, token: dev.env.UPSTASH_REDIS_REST_TOKEN }),
    qstash: { url: dev.env.QSTASH_URL, token: dev.env.QSTASH_TOKEN },
    signingKeys: { current: dev.env.QSTASH_CURRENT_SIGNING_KEY, next: dev.env.QSTASH_NEXT_SIGNING_KEY },
    baseUrl: url,
    trigger: { secrets: { bench: "bench-secret" } },
    ai: options.ai,
  });
  app.route("/api/", createRouter(overtime).handle);
  for (const [name, handler] of Object.entries(options.raw ?? {})) {
    app.route(`/raw/${name}`, rawHandler(handler, dev));
  }
  const meter = new FetchMeter([dev.env.QSTASH_URL, dev.env.UPSTASH_REDIS_REST_URL]);
  meter.install();
  return buildBenchStack({ dev, app, url, overtime, meter, dataDir });
}

function rawHandler(handler: RawWorkflow, dev: DevStack): (request: Request) => Promise<Response> {
  return serve(handler, {
    qstashClient: new QStashClient({ baseUrl: dev.env.QSTASH_URL, token: dev.env.QSTASH_TOKEN }),
    receiver: new Receiver({
      currentSigningKey: dev.env.QSTASH_CURRENT_SIGNING_KEY,
      nextSigningKey: dev.env.QSTASH_NEXT_SIGNING_KEY,
    }),
    env: {},
    disableTelemetry: true,
  }).POST;
}

function buildBenchStack(parts: {
  dev: DevStack;
  app: BenchApp;
  url: string;
  overtime: Overtime;
  meter: FetchMeter;
  dataDir: string;
}): BenchStack {
  const { dev, app, url, overtime, meter } = parts;
  const workflowClient = new WorkflowClient({ baseUrl: dev.env.QSTASH_URL, token: dev.env.QSTASH_TOKEN });
  const getJson = async <T>(base: string, route: string, token: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${route}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${route} answered ${response.status}`);
    return (await response.json()) as T;
  };
  const qstash = <T>(route: string, body?: unknown) =>
    getJson<T>(dev.env.QSTASH_URL, route, dev.env.QSTASH_TOKEN, body);
  const waitForIdle = async (timeoutMs = 120_000) => {
    let quiet = 0;
    const idle = await pollUntil(async () => {
      const pending = await qstash<{ inFlight: number; dueNow: number }>("/__dev/pending");
      quiet = pending.inFlight === 0 && pending.dueNow === 0 && app.busy === 0 ? quiet + 1 : 0;
      return quiet >= 3;
    }, timeoutMs);
    if (!idle) throw new Error(`the stack did not become idle within ${timeoutMs} ms`);
  };
  return {
    dev,
    url,
    overtime,
    meter,
    openai: createOpenAI({ baseURL: dev.env.OPENAI_BASE_URL, apiKey: dev.env.OPENAI_API_KEY }),
    totals: () => app.totals(),
    async startTracked(workflow, input) {
      return (await overtime.start({ workflow, input, source: "api" })).runId;
    },
    async startRaw(workflow, body) {
      const { workflowRunId } = await workflowClient.trigger({ url: `${url}/raw/${workflow}`, body });
      return workflowRunId;
    },
    waitForIdle,
    async advanceClock(ms) {
      await waitForIdle();
      await qstash("/__dev/clock/advance", { ms });
      await waitForIdle();
    },
    qstashStats: () => qstash<QStashStats>("/__dev/stats"),
    redisStats: () =>
      getJson<RedisStats>(dev.env.UPSTASH_REDIS_REST_URL, "/__dev/stats", dev.env.UPSTASH_REDIS_REST_TOKEN),
    async stop() {
      meter.uninstall();
      await app.close();
      await dev.stop();
      await rm(parts.dataDir, { recursive: true, force: true }).catch(() => {});
    },
  };
}

type Handler = (request: Request) => Promise<Response>;

/** node:http → Request → handler → Response, with per-invocation counters. */
class BenchApp {
  busy = 0;
  private invocations = 0;
  private bytesDelivered = 0;
  private readonly busyClock = new OverlapClock();
  private server: Server | undefined;
  private origin = "";
  private readonly routes: Array<{ prefix: string; handle: Handler }> = [];

  route(prefix: string, handle: Handler): void {
    this.routes.push({ prefix, handle });
  }

  totals(): AppTotals {
    return { invocations: this.invocations, bytesDelivered: this.bytesDelivered, busyMs: this.busyClock.ms };
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.origin;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.busy++;
    this.busyClock.enter();
    try {
      const url = new URL(req.url ?? "/", this.origin);
      const route = this.routes.find((candidate) => url.pathname.startsWith(candidate.prefix));
      if (!route) {
        res.statusCode = 404;
        res.end();
        return;
      }
      const body = await readBody(req);
      this.invocations++;
      this.bytesDelivered += body.length;
      const response = await route.handle(toRequest(req, url, body));
      await writeResponse(response, res);
    } finally {
      this.busy--;
      this.busyClock.exit();
    }
  }
}
