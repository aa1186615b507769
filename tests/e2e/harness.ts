import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "@upstash/redis";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { RedisStreamStore } from "@/app/_lib/streams/redis-store";
import { seedStreams } from "@/app/_lib/streams/seed";
import { type DevStack, startDevStack } from "@/dev/stack";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const ARTIFACTS = path.join(ROOT, "test-artifacts", "dashboard");
export const TRIGGER_SECRET = "e2e-trigger-secret-0123456789";
export const DASHBOARD_TOKEN = "e2e-dashboard-token-0123456789";
/**
 * Real budgets, so the budgets page has meters that move when an agent runs: a run's use stays on the
 * meter for the sliding minute after its calls, and no run ever has to wait for its budget.
 */
export const BUDGETS = {
  "gpt-4o-mini": { tokensPerMinute: 60_000, requestsPerMinute: 10_000 },
};

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Dashboard {
  url: string;
  dev: DevStack;
  /** The stack's Redis, as the app sees it. */
  redis: Redis;
  browser: Browser;
  /** Moves QStash's virtual clock (sleeps end), then returns once it acknowledged. */
  advanceClock(ms: number): Promise<void>;
  /** A browser context signed in through the login page. */
  signedIn(viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }>;
  stop(): Promise<void>;
}

/**
 * The production build (`next start`, so the proxy runs in production mode with DASHBOARD_TOKEN) on the
 * dev stack, on free ports, plus Debian's chromium. The build is made by globalSetup.
 */
export async function startDashboard(): Promise<Dashboard> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "overtime-e2e-"));
  const dev = await startDevStack({ dataDir, persist: false, ports: {} });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const next = startNext(port, {
    ...dev.env,
    UPSTASH_WORKFLOW_URL: url,
    OVERTIME_TRIGGER_SECRET: TRIGGER_SECRET,
    DASHBOARD_TOKEN,
    OVERTIME_BUDGETS: JSON.stringify(BUDGETS),
  });
  const redis = new Redis({ url: dev.env.UPSTASH_REDIS_REST_URL, token: dev.env.UPSTASH_REDIS_REST_TOKEN });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const stop = async () => {
    await browser.close().catch(() => {});
    await stopChild(next);
    await dev.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    // Jeeves analyses the sample series; seeded while next starts.
    await Promise.all([waitForHttp(`${url}/login`, next), seedStreams(new RedisStreamStore(redis))]);
  } catch (error) {
    await stop();
    throw error;
  }
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    url,
    dev,
    redis,
    browser,
    stop,
    async advanceClock(ms) {
      const response = await fetch(`${dev.env.QSTASH_URL}/__dev/clock/advance`, {
        method: "POST",
        body: JSON.stringify({ ms }),
      });
      if (!response.ok) throw new Error(`clock advance answered ${response.status}`);
    },
    async signedIn(viewport = { width: 1280, height: 860 }) {
      const context = await browser.newContext({ viewport, baseURL: url });
      const page = await context.newPage();
      await page.goto("/login");
      await page.fill('input[name="token"]', DASHBOARD_TOKEN);
      await Promise.all([page.waitForURL(`${url}/`), page.click('main button[type="submit"]')]);
      return { context, page };
    },
  };
}

function startNext(port: number, env: Record<string, string>): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, "node_modules/next/dist/bin/next"),
      "start",
      "--port",
      String(port),
      "--hostname",
      "127.0.0.1",
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      output.push(chunk);
      if (process.env.OVERTIME_E2E_LOG) process.stderr.write(`[next] ${chunk}`);
    });
  }
  (child as ChildProcess & { output: string[] }).output = output;
  return child;
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`next start exited: ${(child as ChildProcess & { output: string[] }).output.join("")}`);
    }
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export function screenshotPath(name: string): string {
  return path.join(ARTIFACTS, `${name}.png`);
}
