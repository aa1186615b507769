import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client as WorkflowClient, type WorkflowRunLog } from "@upstash/workflow";
import { type RunningQStash, startQStash } from "../../../../dev/qstash/server";
import { freePort } from "../../../../dev/support/ports";
import { type RunningRedisServer, startRedisServer } from "../../../../dev/support/redis-server";
import { TestApp, thirdPartyHandler } from "./app";

/*
 * Test stack for the QStash stand-in: a private redis-server, the stand-in (`dev/qstash/server.ts`)
 * and a `TestApp` serving workflows, all on free ports, plus the real SDK clients pointed at it.
 *
 *   const stack = await startStack();
 *   const url = stack.app.workflow("/wf/x", async (context) => { ... });
 *   const { workflowRunId } = await stack.client.trigger({ url });
 *   await stack.waitForIdle();            // nothing in flight or due now
 *   await stack.advance(3_600_000);       // virtual clock: sleeps, backoff, timeouts, crons
 *   expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");
 *   expectAllVerified(stack.app);         // every delivery carried a valid Upstash-Signature
 *
 * The virtual clock is real time plus an offset, so leave a margin of a few seconds when asserting
 * that something has NOT fired yet.
 */

/** Token in the shape hosted QStash uses (base64 JSON with `UserID`); `createWebhook` needs it. */
export const TEST_TOKEN = Buffer.from(
  JSON.stringify({ UserID: "testUser", Password: "testPassword" }),
).toString("base64");
export const TEST_CURRENT_KEY = "sig_testCurrentKey0000000000000";
export const TEST_NEXT_KEY = "sig_testNextKey000000000000000000";

export interface DevStats {
  published: number;
  delivered: number;
  retried: number;
  failed: number;
  byKind: Record<string, number>;
}

export interface Pending {
  inFlight: number;
  dueNow: number;
  scheduled: number;
  nextDueAt: number | null;
}

export interface TestStack {
  qstash: RunningQStash;
  app: TestApp;
  /** `@upstash/workflow` Client pointed at the stand-in. */
  client: WorkflowClient;
  /** `@upstash/qstash` Client pointed at the stand-in. */
  qstashClient: TestApp["qstashClient"];
  /** URL of the app's `context.call` target answering `status`. */
  thirdParty(status: number): string;
  logs: string[];
  stats(): Promise<DevStats>;
  /** Counter differences since `before` (byKind flattened as `byKind.<kind>`). */
  statsSince(before: DevStats): Promise<Record<string, number>>;
  clock(): Promise<{ now: number; offsetMs: number }>;
  pending(): Promise<Pending>;
  /** Moves the virtual clock forward (`ms`) or to an instant (`to`), then waits for quiet. */
  advance(ms: number): Promise<void>;
  advanceTo(to: number): Promise<void>;
  /** Resolves once nothing is in flight or due now at the stand-in and the app is idle. */
  waitForIdle(): Promise<void>;
  getLogs(runId: string): Promise<WorkflowRunLog | undefined>;
  runState(runId: string): Promise<WorkflowRunLog["workflowState"] | undefined>;
  /** close() + startQStash() again on the same port and Redis. */
  restartQStash(): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  maxMessageBytes?: number;
}

export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 20, what = "condition" } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what} (last value: ${JSON.stringify(last)})`,
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "qstash-it-"));
  const redis: RunningRedisServer = await startRedisServer({ dataDir, persist: false });
  const port = await freePort();
  const logs: string[] = [];
  const boot = () =>
    startQStash({
      redisUrl: redis.url,
      port,
      host: "127.0.0.1",
      token: TEST_TOKEN,
      currentSigningKey: TEST_CURRENT_KEY,
      nextSigningKey: TEST_NEXT_KEY,
      maxMessageBytes: options.maxMessageBytes,
      keyPrefix: "it:",
      onLog: (line: string) => {
        logs.push(line);
        if (logs.length > 2000) logs.shift();
      },
    });
  let qstash = await boot();
  const app = new TestApp({
    qstashUrl: qstash.url,
    token: qstash.token,
    currentSigningKey: qstash.currentSigningKey,
    nextSigningKey: qstash.nextSigningKey,
  });
  await app.listen();
  app.route("/third-party/*", thirdPartyHandler());
  const client = new WorkflowClient({ baseUrl: qstash.url, token: qstash.token });

  const dev = async <T>(route: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${qstash.url}${route}`, {
      ...init,
      headers: { authorization: `Bearer ${qstash.token}`, "content-type": "application/json" },
    });
    if (!response.ok) throw new Error(`${route} -> ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  const pending = () => dev<Pending>("/__dev/pending");
  const waitForIdle = async () => {
    let quietInARow = 0;
    await waitFor(
      async () => {
        const p = await pending();
        quietInARow = p.inFlight === 0 && p.dueNow === 0 && !app.busy ? quietInARow + 1 : 0;
        return quietInARow >= 3;
      },
      { what: "the stand-in to become idle", intervalMs: 15 },
    );
  };
  const stats = () => dev<DevStats>("/__dev/stats");
  const getLogs = async (runId: string) => {
    const { runs } = await client.logs({ workflowRunId: runId });
    return runs.find((run) => run.workflowRunId === runId);
  };

  const stack: TestStack = {
    get qstash() {
      return qstash;
    },
    app,
    client,
    qstashClient: app.qstashClient,
    thirdParty: (status) => app.at(`/third-party/${status}`),
    logs,
    stats,
    async statsSince(before) {
      const now = await stats();
      const out: Record<string, number> = {};
      for (const key of ["published", "delivered", "retried", "failed"] as const)
        out[key] = now[key] - before[key];
      const kinds = new Set([...Object.keys(now.byKind ?? {}), ...Object.keys(before.byKind ?? {})]);
      for (const kind of kinds)
        out[`byKind.${kind}`] = (now.byKind?.[kind] ?? 0) - (before.byKind?.[kind] ?? 0);
      return out;
    },
    clock: () => dev("/__dev/clock"),
    pending,
    async advance(ms) {
      await waitForIdle();
      await dev("/__dev/clock/advance", { method: "POST", body: JSON.stringify({ ms }) });
      await waitForIdle();
    },
    async advanceTo(to) {
      await waitForIdle();
      await dev("/__dev/clock/advance", { method: "POST", body: JSON.stringify({ to }) });
      await waitForIdle();
    },
    waitForIdle,
    getLogs,
    runState: async (runId) => (await getLogs(runId))?.workflowState,
    async restartQStash() {
      await qstash.close();
      qstash = await boot();
    },
    async close() {
      await app.close().catch(() => {});
      await qstash.close().catch(() => {});
      await redis.stop().catch(() => {});
      await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    },
  };
  return stack;
}

/** A loosely typed view of a log step (the SDK's union types are awkward to assert on). */
export interface LogStep {
  stepId?: number;
  stepName?: string;
  stepType?: string;
  callType?: string;
  messageId?: string;
  state?: string;
  out?: unknown;
  concurrent?: number;
  retries?: number;
  errors?: Array<{ error?: string; body?: string; status?: number }>;
  [key: string]: unknown;
}
export interface LogGroup {
  type: "sequential" | "parallel" | "next";
  steps: LogStep[];
}

export function groupsOf(run: WorkflowRunLog | undefined): LogGroup[] {
  return (run?.steps ?? []) as unknown as LogGroup[];
}

export function stepsOf(run: WorkflowRunLog | undefined): LogStep[] {
  return groupsOf(run).flatMap((g) => g.steps);
}

/** Decodes a log step's `out` (JSON text per the protocol; tolerate an already-parsed value). */
export function parseOut(out: unknown): unknown {
  if (typeof out !== "string") return out;
  try {
    return JSON.parse(out);
  } catch {
    return out;
  }
}

/** Every request the app got must have carried a valid QStash signature. */
export function expectAllVerified(app: TestApp): void {
  if (app.verification.failed > 0) {
    throw new Error(
      `signature verification failed ${app.verification.failed}x:\n${app.verification.failures.join("\n")}`,
    );
  }
}
