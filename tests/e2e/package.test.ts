import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { packPackages } from "@/dev/pack";
import { freePort } from "@/dev/support/ports";

/**
 * The packages as a user gets them: `npm pack` tarballs installed into a fresh Next.js app in a
 * temporary folder outside this repository, which adds one workflow (a step, a sleep, a wait for an
 * event) and one catch-all route: exactly the README's "Add Overtime to your app". The run must finish
 * through `overtime-dev/testing` and through the app's real `next start` on the stack started by the
 * package's `overtime` bin.
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const FIXTURE = path.join(import.meta.dirname, "fresh-app");
const SECRET = "fresh-app-secret-0123456789";

let dir = "";
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "overtime-fresh-app-"));
  await run("npm", ["run", "build:packages"], { cwd: ROOT });
  const [overtime, overtimeDev] = packPackages(path.join(dir, "packs")) as [string, string];
  const app = path.join(dir, "app");
  await cp(FIXTURE, app, { recursive: true });
  await writeFile(
    path.join(app, "package.json"),
    JSON.stringify(await manifest(overtime, overtimeDev), null, 2),
  );
  // From the local npm cache (the registry only for what the cache lacks); never a link into this repo.
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: app,
    timeout: 240_000,
  });
}, 300_000);

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function manifest(overtime: string, overtimeDev: string) {
  const root = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const pick = (names: string[], from: Record<string, string>) =>
    Object.fromEntries(names.map((name) => [name, from[name] as string]));
  return {
    name: "my-product",
    private: true,
    type: "module",
    dependencies: {
      ...pick(
        [
          "next",
          "react",
          "react-dom",
          "@upstash/qstash",
          "@upstash/ratelimit",
          "@upstash/realtime",
          "@upstash/redis",
          "@upstash/workflow",
          "ai",
          "zod",
        ],
        root.dependencies,
      ),
      overtime: `file:${overtime}`,
    },
    devDependencies: {
      ...pick(["typescript", "@types/node", "@types/react"], root.devDependencies),
      "overtime-dev": `file:${overtimeDev}`,
    },
  };
}

it("finishes a run through overtime-dev/testing in the fresh app", async () => {
  const app = path.join(dir, "app");
  const { stdout } = await run(process.execPath, ["--import", "tsx", "smoke.ts"], {
    cwd: app,
    timeout: 60_000,
  });
  expect(stdout).toContain("1 passed, 0 failed");
}, 90_000);

it("finishes a run through the app's real next start on the stack from the package's bin", async () => {
  const app = path.join(dir, "app");
  const [redisRest, qstash, model, web] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const stackEnv = await startStack(app, {
    DEV_REDIS_REST_PORT: redisRest,
    DEV_QSTASH_PORT: qstash,
    DEV_MODEL_PORT: model,
  });
  await run(process.execPath, [path.join(app, "node_modules/next/dist/bin/next"), "build"], {
    cwd: app,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    timeout: 240_000,
  });
  const url = `http://127.0.0.1:${web}`;
  const next = spawn(
    process.execPath,
    [
      path.join(app, "node_modules/next/dist/bin/next"),
      "start",
      "--port",
      String(web),
      "--hostname",
      "127.0.0.1",
    ],
    {
      cwd: app,
      env: {
        ...process.env,
        ...stackEnv,
        UPSTASH_WORKFLOW_URL: url,
        OVERTIME_TRIGGER_SECRET: SECRET,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
      },
      stdio: "ignore",
    },
  );
  children.push(next);
  await until(async () => (await fetch(`${url}/`).catch(() => undefined))?.ok === true, "next start");

  const headers = { authorization: `Bearer ${SECRET}`, "content-type": "application/json" };
  const started = await fetch(`${url}/api/trigger/greet`, {
    method: "POST",
    headers,
    body: '{"name":"Ada"}',
  });
  expect(started.status).toBe(202);
  const { runId } = (await started.json()) as { runId: string };
  const status = async () =>
    (
      (await (await fetch(`${url}/api/runs/${runId}`, { headers })).json()) as {
        run: { status: string; output?: string };
      }
    ).run;
  await until(async () => (await status()).status === "sleeping", "the run to sleep");
  await fetch(`${stackEnv.QSTASH_URL}/__dev/clock/advance`, {
    method: "POST",
    body: JSON.stringify({ ms: 3_601_000 }),
  });
  await until(async () => (await status()).status === "waiting", "the run to wait for the event");
  const notified = await fetch(`${url}/api/events/reply-Ada`, {
    method: "POST",
    headers,
    body: '{"ok":true}',
  });
  expect(await notified.json()).toEqual({ eventId: "reply-Ada", notified: 1 });
  await until(async () => (await status()).status === "succeeded", "the run to succeed");
  expect((await status()).output).toBe('Hello, Ada; they said {"ok":true}');
}, 300_000);

/** `npx overtime stack`: the stand-ins, their settings as KEY=value lines on stdout. */
function startStack(app: string, ports: Record<string, number>): Promise<Record<string, string>> {
  const child = spawn(path.join(app, "node_modules/.bin/overtime"), ["stack"], {
    cwd: app,
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      OVERTIME_DATA_DIR: path.join(app, ".data"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      text += chunk;
      const env = Object.fromEntries(
        text
          .split("\n")
          .filter((line) => /^[A-Z_]+=/.test(line))
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      );
      if (env.REDIS_URL) resolve(env);
    });
    child.once("exit", (code) => reject(new Error(`overtime stack exited with ${code}`)));
  });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
