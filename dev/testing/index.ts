import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createOpenAI, type OpenAIProvider } from "@ai-sdk/openai";
import { Redis } from "@upstash/redis";
import {
  type AnyWorkflow,
  createOvertime,
  createRouter,
  type Overtime,
  type OvertimeConfig,
  type OvertimeRouter,
  publicReadAccess,
  type RunStatus,
} from "overtime";
import type { AiConfig } from "overtime/ai";
import { type DevStack, type DevStackOptions, startDevStack } from "../stack";
import { readBody, toRequest, writeResponse } from "../support/fetch-bridge";
import type { RunRecord, StepRecord } from "./types";

export type { RunRecord, StepRecord };

export interface TestStackOptions {
  workflows: readonly AnyWorkflow[];
  /** Trigger auth secrets (caller id → secret); default `{ test: "test-secret" }`. */
  triggerSecrets?: Record<string, string>;
  rateLimit?: NonNullable<OvertimeConfig["trigger"]>["rateLimit"];
  retentionDays?: number;
  /** Budgets, prices, claim check. */
  ai?: AiConfig;
  /** Limits the dev model enforces itself (defaults: practically none). */
  model?: { tokensPerMinute?: number; requestsPerMinute?: number };
  /** QStash stand-in's maximum message size (default 1 MB, the free tier). */
  qstashMaxMessageBytes?: number;
  /** Crash recovery delays of triggers (defaults: 5 s take-over, 60 s orphan). */
  triggerRecovery?: NonNullable<OvertimeConfig["trigger"]>["recovery"];
  /** false: the Redis and QStash clients do not retry a failed request (tests of outages stay fast). */
  clientRetries?: false;
  /** Every log line of the stand-ins (the QStash stand-in logs each API call as `api <METHOD> <path> → <status>`). */
  onLog?: DevStackOptions["onLog"];
  /** Headers QStash forwards on every delivery to the app (`deliveryHeaders` of createOvertime). */
  deliveryHeaders?: Record<string, string>;
  /** Sees every request the app receives (QStash's deliveries included) before it is handled. */
  onAppRequest?: (request: Request) => void;
  /** Starts the stand-ins; default `startDevStack` (all in this process). Benchmarks pass one that forks them. */
  startDev?: (options: DevStackOptions) => Promise<DevStack>;
}

export interface TestStack {
  /** Base URL of the app under test (workflows at /api/workflows/<name>, the HTTP API at /api/...). */
  url: string;
  overtime: Overtime;
  /** The HTTP API router the app mounts (the same one the Next.js catch-all route mounts). */
  router: OvertimeRouter;
  dev: DevStack;
  /** Starts a run as the API would (validated, recorded as queued); returns its run id. */
  trigger(workflow: string, input: unknown, options?: { runId?: string; label?: string }): Promise<string>;
  /** Moves QStash's virtual clock (sleeps, retries' backoff, wait timeouts, crons), then waits for quiet. */
  advanceTime(ms: number): Promise<void>;
  notify(eventId: string, data?: unknown): Promise<number>;
  /** Waits until the run reaches `status` (default: any terminal status) with nothing left in flight. */
  waitForRun(runId: string, options?: { status?: RunStatus; timeoutMs?: number }): Promise<RunRecord>;
  getRun(runId: string): Promise<{ run: RunRecord | undefined; steps: StepRecord[] }>;
  /** Resolves once QStash has nothing in flight or due now and the app is idle. */
  waitForIdle(): Promise<void>;
  /** HTTP requests the Redis REST stand-in has served so far. */
  redisRequests(): Promise<number>;
  /** Workflow endpoint invocations served so far. */
  readonly invocations: number;
  /** Request body bytes QStash delivered to workflow endpoints so far. */
  readonly bytesDelivered: number;
  /** `@ai-sdk/openai` pointed at the dev model (`t.openai("gpt-4o-mini")`). */
  openai: OpenAIProvider;
  /**
   * Simulates the app process dying now: the invocation in flight finishes, every later request's
   * connection is dropped (QStash sees a failed delivery and retries later) until `restartApp`.
   */
  killApp(): void;
  /** Starts the app again as a fresh process would: a new Overtime from the same config, same URL. */
  restartApp(): void;
  stop(): Promise<void>;
}

const TERMINAL: RunStatus[] = ["succeeded", "failed", "canceled"];

/**
 * Boots the local stand-ins on free ports and serves `workflows` through the same lib code as the
 * Next.js routes, on a plain node:http server. Everything is configured explicitly (no process.env).
 *
 *   const t = await createTestStack({ workflows: [hello] });
 *   const runId = await t.trigger("hello", { name: "Ada" });
 *   await t.advanceTime(60_000);               // past the workflow's sleep
 *   expect((await t.waitForRun(runId)).status).toBe("succeeded");
 *   await t.stop();
 */
export async function createTestStack(options: TestStackOptions): Promise<TestStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "overtime-test-"));
  const dev = await (options.startDev ?? startDevStack)({
    dataDir,
    persist: false,
    ports: {},
    model: options.model,
    qstashMaxMessageBytes: options.qstashMaxMessageBytes,
    onLog: options.onLog,
  });
  const app = new AppServer(options.onAppRequest);
  try {
    const url = await app.listen();
    const boot = () => {
      const overtime = createOvertime({
        workflows: options.workflows,
        redis: new Redis({
          url: dev.env.UPSTASH_REDIS_REST_URL,
          token: dev.env.UPSTASH_REDIS_REST_TOKEN,
          ...(options.clientRetries === false && { retry: false }),
        }),
        qstash: { url: dev.env.QSTASH_URL, token: dev.env.QSTASH_TOKEN, retry: options.clientRetries },
        signingKeys: { current: dev.env.QSTASH_CURRENT_SIGNING_KEY, next: dev.env.QSTASH_NEXT_SIGNING_KEY },
        baseUrl: url,
        retentionDays: options.retentionDays,
        trigger: {
          secrets: options.triggerSecrets ?? { test: "test-secret" },
          rateLimit: options.rateLimit,
          recovery: options.triggerRecovery,
        },
        // Budget minutes and days on the same virtual clock as QStash and the dev model.
        ai: { clock: dev.qstash.now, ...options.ai },
        deliveryHeaders: options.deliveryHeaders,
      });
      // A test reads runs without credentials (writes still need the trigger secret).
      const router = createRouter(overtime, { readAccess: publicReadAccess });
      app.mount(router);
      return { overtime, router };
    };
    return buildStack({ url, dev, boot, app, dataDir });
  } catch (error) {
    await app.close();
    await dev.stop();
    throw error;
  }
}

function buildStack(parts: {
  url: string;
  dev: DevStack;
  boot: () => { overtime: Overtime; router: OvertimeRouter };
  app: AppServer;
  dataDir: string;
}): TestStack {
  const { dev, app } = parts;
  let current = parts.boot();
  // Always the current app instance (restartApp replaces it).
  const overtime = new Proxy({} as Overtime, {
    get: (_target, property) => Reflect.get(current.overtime, property),
  });
  const qstash = async <T>(route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${dev.env.QSTASH_URL}${route}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${dev.env.QSTASH_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${route} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const waitForIdle = async () => {
    let quiet = 0;
    await poll(async () => {
      const pending = await qstash<{ inFlight: number; dueNow: number }>("/__dev/pending");
      quiet = pending.inFlight === 0 && pending.dueNow === 0 && app.busy === 0 ? quiet + 1 : 0;
      return quiet >= 3;
    }, "the stack to become idle");
  };
  const stack: TestStack = {
    url: parts.url,
    get overtime() {
      return current.overtime;
    },
    get router() {
      return current.router;
    },
    dev,
    openai: createOpenAI({ baseURL: dev.env.OPENAI_BASE_URL, apiKey: dev.env.OPENAI_API_KEY }),
    killApp() {
      app.down = true;
    },
    restartApp() {
      app.down = true;
      current = parts.boot();
      app.down = false;
    },
    async trigger(workflow, input, options = {}) {
      const started = await overtime.start({ workflow, input, source: "api", ...options });
      return started.runId;
    },
    async advanceTime(ms) {
      await waitForIdle();
      await qstash("/__dev/clock/advance", { ms });
      await waitForIdle();
    },
    async notify(eventId, data) {
      return (await overtime.client.notify({ eventId, eventData: data })).length;
    },
    async waitForRun(runId, { status, timeoutMs = 20_000 } = {}) {
      let last: RunRecord | undefined;
      await poll(
        async () => {
          last = await overtime.store.getRun(runId);
          const reached = last && (status ? last.status === status : TERMINAL.includes(last.status));
          if (!reached) return false;
          await waitForIdle();
          return true;
        },
        `run ${runId} to become ${status ?? "terminal"} (last: ${JSON.stringify(last?.status)})`,
        timeoutMs,
      );
      return (await overtime.store.getRun(runId)) as RunRecord;
    },
    async getRun(runId) {
      const [run, steps] = await Promise.all([overtime.store.getRun(runId), overtime.store.getSteps(runId)]);
      return { run, steps };
    },
    waitForIdle,
    async redisRequests() {
      const response = await fetch(`${dev.env.UPSTASH_REDIS_REST_URL}/__dev/stats`, {
        headers: { authorization: `Bearer ${dev.env.UPSTASH_REDIS_REST_TOKEN}` },
      });
      return ((await response.json()) as { requests: number }).requests;
    },
    get invocations() {
      return app.invocations;
    },
    get bytesDelivered() {
      return app.bytesDelivered;
    },
    async stop() {
      await app.close();
      await dev.stop();
      await rm(parts.dataDir, { recursive: true, force: true }).catch(() => {});
    },
  };
  return stack;
}

async function poll(probe: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The app under test: the same handlers the Next.js routes export, mounted on node:http. */
class AppServer {
  busy = 0;
  invocations = 0;
  /** While true the "process" is dead: new requests lose their connection. */
  down = false;
  bytesDelivered = 0;
  private server: Server | undefined;
  private router: OvertimeRouter | undefined;
  private url = "";

  constructor(private readonly onRequest?: (request: Request) => void) {}

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    // A burst of new connections (the load benchmark opens 1,000 at once) must wait in the accept queue
    // while the app is busy rather than be refused: Node's default backlog is 511.
    await new Promise<void>((resolve) =>
      server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve),
    );
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  mount(router: OvertimeRouter): void {
    this.router = router;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    this.busy++;
    try {
      const target = new URL(req.url ?? "/", this.url);
      if (target.pathname.startsWith("/api/workflows/")) {
        this.invocations++;
        this.bytesDelivered += Number(req.headers["content-length"] ?? 0);
      }
      const abort = new AbortController();
      res.on("close", () => abort.abort());
      const request = toRequest(req, target, await readBody(req), abort.signal);
      this.onRequest?.(request);
      const response = this.router
        ? await this.router.handle(request)
        : Response.json({ error: { code: "not_found", message: "No app mounted." } }, { status: 404 });
      await writeResponse(response, res, () => this.busy--);
    } catch (error) {
      this.busy--;
      throw error;
    }
  }
}
