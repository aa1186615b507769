import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type DevStack, startDevStack } from "../stack";
import { freePort } from "../support/ports";

const SECRET = "crash-secret-0123456789";
const MAIN = path.join(import.meta.dirname, "app-main.ts");

export interface CrashOptions {
  keys: number;
  /** Triggers sent without a key (a crash may leave them as orphan records to settle). */
  keyless: number;
  kills: number;
  concurrency?: number;
}

export interface CrashReport {
  keys: number;
  kills: number;
  /** Trigger attempts that got no answer (the app died under them or was restarting); each was retried. */
  lostRequests: number;
  /** Keys whose retries all named one run that succeeded with the right output. */
  keysFinished: number;
  /** Keys whose retry pointed at a run that never finished (or at no run). */
  dangling: string[];
  /** Keys that ended with more than one succeeded run for their input. */
  duplicated: string[];
  /** Runs still `queued` after every record was read once past the orphan delay. */
  stuckQueued: number;
  /** Keyless runs settled as never published (the crash hit between record and publish). */
  orphansSettled: number;
  seconds: number;
}

/**
 * Sends keyed (and some keyless) triggers to the app in its own process while killing it with SIGKILL
 * at random moments, restarts it each time, then retries every key: every key must map to exactly one
 * run that finishes, and no record may stay queued once read past the orphan delay.
 */
export async function crashTriggers(options: CrashOptions): Promise<CrashReport> {
  const started = Date.now();
  const dataDir = await mkdtemp(path.join(tmpdir(), "overtime-crash-"));
  const dev = await startDevStack({ dataDir, persist: false, ports: {} });
  const port = await freePort();
  const app = new AppProcess(dev, port);
  try {
    await app.start();
    const base = `http://127.0.0.1:${port}`;
    const trigger = (n: number, key?: string) =>
      fetch(`${base}/api/trigger/tick`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${SECRET}`,
          "content-type": "application/json",
          ...(key && { "idempotency-key": key }),
        },
        body: JSON.stringify({ n }),
      });
    const keyed = Array.from({ length: options.keys }, (_, n) => ({ n, key: `key-${n}` }));
    const keyless = Array.from({ length: options.keyless }, (_, i) => ({
      n: options.keys + i,
      key: undefined,
    }));
    const all = shuffle([...keyed, ...keyless]);

    let lostRequests = 0;
    let sent = 0;
    const killAt = new Set(
      Array.from({ length: options.kills }, (_, i) =>
        Math.floor(((i + 1) * all.length) / (options.kills + 1)),
      ),
    );
    const killing: Promise<void>[] = [];
    await pool(all, options.concurrency ?? 8, async (item) => {
      sent++;
      if (killAt.has(sent)) killing.push(sleep(Math.random() * 15).then(() => app.restart()));
      // A client retries until it is answered; the attempts the app died under are the interesting ones.
      await retryUntilAnswered(
        () => trigger(item.n, item.key),
        () => lostRequests++,
      );
    });
    await Promise.all(killing);
    await app.ready();

    // Past the take-over delay, every key is retried until it is answered.
    await sleep(400);
    const runIds = new Map<string, string>();
    for (const { n, key } of keyed) {
      const response = await retryUntilAnswered(() => trigger(n, key));
      if (response.status === 202) runIds.set(key, ((await response.json()) as { runId: string }).runId);
    }
    const readRun = async (runId: string) => {
      const response = await fetch(`${base}/api/runs/${encodeURIComponent(runId)}`);
      return response.ok
        ? (
            (await response.json()) as {
              run: { status: string; output?: unknown; error?: { code?: string } };
            }
          ).run
        : undefined;
    };
    const dangling: string[] = [];
    let keysFinished = 0;
    const deadline = Date.now() + 60_000;
    for (const { n, key } of keyed) {
      const runId = runIds.get(key);
      let run = runId ? await readRun(runId) : undefined;
      while (run && !["succeeded", "failed", "canceled"].includes(run.status) && Date.now() < deadline) {
        await sleep(50);
        run = runId ? await readRun(runId) : undefined;
      }
      const again = await trigger(n, key);
      const sameRun = again.status === 202 && ((await again.json()) as { runId: string }).runId === runId;
      if (run?.status === "succeeded" && run.output === n * 2 + 1 && sameRun) keysFinished++;
      else
        dangling.push(
          `${key}: ${runId ?? "no run id"} ${run ? run.status : "no record"}${sameRun ? "" : " (retry named another run)"}${run?.error ? ` ${JSON.stringify(run.error)}` : ""}`,
        );
    }

    // Every record is read once past the orphan delay; none may stay queued.
    await sleep(1_100);
    const ids = await listRunIds(dev);
    let stuckQueued = 0;
    let orphansSettled = 0;
    const succeededByInput = new Map<number, number>();
    for (const id of ids) {
      let run = await readRun(id);
      for (let wait = 0; run?.status === "queued" && wait < 40; wait++) {
        await sleep(50);
        run = await readRun(id);
      }
      if (!run || run.status === "queued") stuckQueued++;
      if (run?.error?.code === "never_published") orphansSettled++;
      if (run?.status === "succeeded") {
        const n = (Number(run.output) - 1) / 2;
        succeededByInput.set(n, (succeededByInput.get(n) ?? 0) + 1);
      }
    }
    const duplicated = keyed.filter(({ n }) => (succeededByInput.get(n) ?? 0) > 1).map(({ key }) => key);
    return {
      keys: options.keys,
      kills: options.kills,
      lostRequests,
      keysFinished,
      dangling,
      duplicated,
      stuckQueued,
      orphansSettled,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await app.stop();
    await dev.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Every run id in the store's index (the app writes them; read with the same REST API). */
async function listRunIds(dev: DevStack): Promise<string[]> {
  const response = await fetch(dev.env.UPSTASH_REDIS_REST_URL, {
    method: "POST",
    headers: { authorization: `Bearer ${dev.env.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(["ZRANGE", "ot:runs", "0", "-1"]),
  });
  return ((await response.json()) as { result: string[] }).result;
}

class AppProcess {
  private child: ChildProcess | undefined;
  private readyPromise: Promise<void> = Promise.resolve();

  constructor(
    private readonly dev: DevStack,
    private readonly port: number,
  ) {}

  start(): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
      env: {
        ...process.env,
        ...this.dev.env,
        APP_PORT: String(this.port),
        TRIGGER_SECRET: SECRET,
        TAKE_OVER_AFTER_MS: "300",
        STALE_AFTER_MS: "1000",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.child = child;
    this.readyPromise = new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("ready")) resolve();
      });
      child.once("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`app exited before it was ready (${code})`));
      });
    });
    return this.readyPromise;
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  private restarting: Promise<void> = Promise.resolve();

  /** SIGKILL: no cleanup, no flush; in-flight requests lose their connection. Restarts run one at a time. */
  restart(): Promise<void> {
    this.restarting = this.restarting.then(async () => {
      await this.kill();
      await this.start();
    });
    return this.restarting;
  }

  async stop(): Promise<void> {
    await this.kill();
  }

  private async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}

async function retryUntilAnswered(send: () => Promise<Response>, onLost = () => {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      onLost();
      if (attempt > 100) throw error;
      await sleep(100);
    }
  }
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
