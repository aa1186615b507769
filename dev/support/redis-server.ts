import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createConnection } from "node:net";
import { stopChildProcess } from "./child-process";
import { freePort } from "./ports";

export class RedisServerMissingError extends Error {
  constructor() {
    super(
      "redis-server is not installed. Install it with `sudo apt-get install -y redis-server` " +
        "(Debian/Ubuntu) or `brew install redis` (macOS), or set REDIS_URL to a Redis you already run.",
    );
    this.name = "RedisServerMissingError";
  }
}

export interface RedisServerOptions {
  /** Folder for the append-only file and dump; created if missing. */
  dataDir: string;
  /** Port to listen on; a free one when omitted. */
  port?: number;
  /** Keep data across restarts (append-only file). Tests turn this off. */
  persist?: boolean;
  /** Receives each line redis-server prints. */
  onLog?: (line: string) => void;
}

export interface RunningRedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function redisServerInstalled(): boolean {
  const probe = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  return probe.error === undefined && probe.status === 0;
}

/** Spawns a private redis-server bound to 127.0.0.1 and resolves once it accepts connections. */
export async function startRedisServer(options: RedisServerOptions): Promise<RunningRedisServer> {
  if (!redisServerInstalled()) throw new RedisServerMissingError();
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const persist = options.persist ?? true;
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    options.dataDir,
    "--save",
    "",
    "--appendonly",
    persist ? "yes" : "no",
    "--protected-mode",
    "yes",
    "--loglevel",
    "warning",
  ];
  // Its own process group: a terminal's Ctrl-C must not stop Redis before the stand-ins using it.
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  pipeLines(child, options.onLog);
  await waitForPort(port, child);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => stopChildProcess(child),
  };
}

function pipeLines(child: ChildProcess, onLog: ((line: string) => void) | undefined): void {
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      for (const line of chunk.split("\n")) if (line.trim() && onLog) onLog(line);
    });
  }
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} on start`);
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`redis-server did not accept connections on port ${port} within 10 s`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
