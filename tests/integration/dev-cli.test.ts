import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, QstashError } from "@upstash/qstash";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@/dev/support/ports";

/** `npm run dev:stack` as a user runs it: a child process, settings on stdout, Ctrl-C to stop. */
describe("dev:stack", () => {
  let child: ChildProcess;
  let settings: Record<string, string>;
  let stderr = "";
  let stdout = "";
  const dataDir = mkdtempSync(path.join(tmpdir(), "overtime-cli-"));

  beforeAll(async () => {
    const [redisRest, qstash, model] = await Promise.all([freePort(), freePort(), freePort()]);
    child = spawn(process.execPath, ["--import", "tsx", "dev/cli.ts", "stack"], {
      env: {
        ...process.env,
        DEV_REDIS_REST_PORT: String(redisRest),
        DEV_QSTASH_PORT: String(qstash),
        DEV_MODEL_PORT: String(model),
        OVERTIME_DATA_DIR: dataDir,
        PORT: "3000",
        REDIS_URL: "",
        // A paid plan's limits, reproduced locally.
        DEV_QSTASH_MAX_MESSAGE_BYTES: String(2 * 1024 * 1024),
        DEV_QSTASH_MAX_RETRIES: "5",
        DEV_QSTASH_MAX_DELAY_DAYS: "7",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    child.stdout?.on("data", (chunk) => {
      stdout += String(chunk);
    });
    settings = await readSettings(child, 9);
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints every setting an app needs as KEY=value", () => {
    expect(Object.keys(settings).sort()).toEqual(
      [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "QSTASH_CURRENT_SIGNING_KEY",
        "QSTASH_NEXT_SIGNING_KEY",
        "QSTASH_TOKEN",
        "QSTASH_URL",
        "REDIS_URL",
        "UPSTASH_REDIS_REST_TOKEN",
        "UPSTASH_REDIS_REST_URL",
      ].sort(),
    );
  });

  it("writes nothing but KEY=value lines to stdout (`npm run --silent dev:stack > .env.local`)", () => {
    const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>;
    expect(scripts["dev:stack"]).toBe("node --import tsx dev/cli.ts stack"); // what this test runs
    const lines = stdout.split("\n").filter((line) => line !== "");
    expect(lines).toHaveLength(9);
    for (const line of lines) expect(line).toMatch(/^[A-Z][A-Z0-9_]*=\S+$/);
  });

  it("announces the local QStash for `npm run schedules:sync` in its data directory", () => {
    const announced = JSON.parse(readFileSync(path.join(dataDir, "dev.json"), "utf8"));
    expect(announced).toMatchObject({
      QSTASH_URL: at("QSTASH_URL"),
      QSTASH_TOKEN: at("QSTASH_TOKEN"),
      appUrl: "http://127.0.0.1:3000",
      pid: child.pid,
    });
  });

  it("serves each stand-in at the printed address", async () => {
    const redis = new Redis({ url: at("UPSTASH_REDIS_REST_URL"), token: at("UPSTASH_REDIS_REST_TOKEN") });
    await redis.set("cli-test", "hello");
    expect(await redis.get("cli-test")).toBe("hello");

    const keys = await fetch(`${at("QSTASH_URL")}/v2/keys`, {
      headers: { authorization: `Bearer ${at("QSTASH_TOKEN")}` },
    });
    expect(await keys.json()).toEqual({
      current: at("QSTASH_CURRENT_SIGNING_KEY"),
      next: at("QSTASH_NEXT_SIGNING_KEY"),
    });

    const models = await fetch(`${at("OPENAI_BASE_URL")}/models`, {
      headers: { authorization: `Bearer ${at("OPENAI_API_KEY")}` },
    });
    expect(models.status).toBe(200);
  });

  it("applies the plan limits set by DEV_QSTASH_MAX_* to the local QStash", async () => {
    const qstash = new Client({ baseUrl: at("QSTASH_URL"), token: at("QSTASH_TOKEN"), retry: false });
    const url = "http://127.0.0.1:9/unreachable";
    const rejected = (work: Promise<unknown>) =>
      work.then(
        () => undefined,
        (error: unknown) => (error instanceof QstashError ? error.status : error),
      );
    const published = await qstash.publish({ url, body: "x".repeat(1_500_000), delay: 3600 });
    expect(published.messageId).toMatch(/^msg_/);
    expect(await rejected(qstash.publish({ url, body: "x".repeat(2 * 1024 * 1024 + 1) }))).toBe(413);
    expect(await rejected(qstash.publish({ url, body: "r", retries: 6 }))).toBe(412);
    expect(await rejected(qstash.publish({ url, body: "d", delay: 8 * 86_400 }))).toBe(400);
    await qstash.messages.cancel(published.messageId);
  });

  it("stops everything, redis-server included, on Ctrl-C", async () => {
    const redisPort = Number(new URL(at("REDIS_URL")).port);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(await canConnect(redisPort)).toBe(false);
    expect(stderr).toContain("stopped");
    expect(existsSync(path.join(dataDir, "dev.json"))).toBe(false);
  });

  function at(key: string): string {
    const value = settings[key];
    if (value === undefined) throw new Error(`${key} was not printed`);
    return value;
  }
});

describe("dev:stack without redis-server", () => {
  it("says how to install it and exits 1", async () => {
    const nodeOnly = mkdtempSync(path.join(tmpdir(), "overtime-path-"));
    symlinkSync(process.execPath, path.join(nodeOnly, "node"));
    const child = spawn(process.execPath, ["--import", "tsx", "dev/cli.ts", "stack"], {
      env: {
        ...process.env,
        PATH: nodeOnly,
        REDIS_URL: "",
        DEV_REDIS_REST_PORT: String(await freePort()),
        DEV_QSTASH_PORT: String(await freePort()),
        DEV_MODEL_PORT: String(await freePort()),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    rmSync(nodeOnly, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr).toContain("redis-server is not installed");
    expect(stderr).toContain("apt-get install -y redis-server");
  });
});

function readSettings(child: ChildProcess, count: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const settings: Record<string, string> = {};
    let buffered = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      buffered += chunk;
      for (const line of buffered.split("\n").slice(0, -1)) {
        const match = /^([A-Z_]+)=(.*)$/.exec(line);
        if (match?.[1] && match[2] !== undefined) settings[match[1]] = match[2];
      }
      buffered = buffered.slice(buffered.lastIndexOf("\n") + 1);
      if (Object.keys(settings).length >= count) resolve(settings);
    });
    child.once("exit", (code) => reject(new Error(`dev:stack exited early with code ${code}`)));
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
