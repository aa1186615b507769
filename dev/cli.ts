/**
 * `overtime dev`   → the local stack + the app's `next dev`, in one terminal, Ctrl-C stops everything.
 * `overtime stack` → only the stand-ins; prints their settings as KEY=value lines for .env.local.
 *
 * Run in the app's folder; what the app adds (its workflows' schedules, a seeding hook) comes from its
 * package.json `"overtime"` field or `--workflows <module>` / `--setup <module>` (see app-config.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { localStackFile, removeLocalStack, writeLocalStack } from "overtime";
import { z } from "zod";
import { type AppConfig, loadDevSetup, loadWorkflows, nextBin, readAppConfig } from "./app-config";
import { syncLocalSchedules } from "./schedules";
import { type DevStack, type DevStackEnv, startDevStack } from "./stack";
import { stopChildProcess } from "./support/child-process";
import { logLine } from "./support/logger";
import { RedisServerMissingError } from "./support/redis-server";

/** Local only: lets the README's curl examples trigger runs without any setup. */
const DEV_TRIGGER_SECRET = "overtime-dev-trigger-secret";

const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);

const CliEnv = z.object({
  PORT: port(3000),
  DEV_REDIS_REST_PORT: port(8079),
  DEV_QSTASH_PORT: port(8080),
  DEV_MODEL_PORT: port(8090),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// URL" }).optional(),
  OVERTIME_DATA_DIR: z.string().min(1).default(".data"),
  /** `off`: do not create the workflows' cron schedules on the local QStash (they fire as in production). */
  OVERTIME_DEV_SCHEDULES: z.enum(["on", "off"], { error: 'must be "on" or "off"' }).default("on"),
  /** The local QStash's plan limits, so a paid plan's limits can be reproduced locally (defaults: free tier). */
  DEV_QSTASH_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1).optional(),
  DEV_QSTASH_MAX_RETRIES: z.coerce.number().int().min(0).optional(),
  DEV_QSTASH_MAX_DELAY_DAYS: z.coerce.number().positive().optional(),
});
type CliEnv = z.infer<typeof CliEnv>;

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command !== "dev" && command !== "stack") {
    fail(
      `usage: overtime dev|stack [--workflows <module>] [--setup <module>] (got ${JSON.stringify(command ?? "")})`,
    );
  }
  const config = readConfig();
  const app = await readAppConfig(process.argv.slice(3));
  await assertPortsFree(config, command === "dev");
  const stack = await startStack(config);
  await runDevSetup(app, stack);
  const stopHandlers: Array<() => Promise<void>> = [() => stack.stop()];
  announceStack(config, stack, stopHandlers);
  let next: ChildProcess | undefined;
  if (command === "dev") {
    next = startNext(config, stack.env, app);
    stopHandlers.unshift(() => stopChildProcess(next));
    next.once("exit", (code) => void shutdown(stopHandlers, code ?? 1));
  }
  onInterrupt(() => shutdown(stopHandlers, 0));
  printSummary(command, config, stack);
  if (command === "dev") await syncDevSchedules(config, stack, app);
}

function readConfig(): CliEnv {
  const parsed = CliEnv.safeParse(blankAsMissing(process.env));
  if (parsed.success) return parsed.data;
  fail(parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("\n"));
}

function blankAsMissing(source: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(source).map(([key, value]) => [key, value || undefined]));
}

async function assertPortsFree(config: CliEnv, withNext: boolean): Promise<void> {
  const wanted: Array<[string, number]> = [
    ["DEV_REDIS_REST_PORT", config.DEV_REDIS_REST_PORT],
    ["DEV_QSTASH_PORT", config.DEV_QSTASH_PORT],
    ["DEV_MODEL_PORT", config.DEV_MODEL_PORT],
  ];
  if (withNext) wanted.push(["PORT", config.PORT]);
  for (const [name, value] of wanted) {
    if (!(await portIsFree(value))) {
      fail(`port ${value} (${name}) is already in use. Is another stack running? Stop it or set ${name}.`);
    }
  }
}

function portIsFree(portNumber: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(portNumber, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function startStack(config: CliEnv): Promise<DevStack> {
  logLine("stack", "starting the local stack…");
  try {
    return await startDevStack({
      dataDir: path.resolve(config.OVERTIME_DATA_DIR),
      redisUrl: config.REDIS_URL,
      ports: {
        redisRest: config.DEV_REDIS_REST_PORT,
        qstash: config.DEV_QSTASH_PORT,
        model: config.DEV_MODEL_PORT,
      },
      onLog: logLine,
      qstashMaxMessageBytes: config.DEV_QSTASH_MAX_MESSAGE_BYTES,
      qstashMaxRetries: config.DEV_QSTASH_MAX_RETRIES,
      qstashMaxDelayMs:
        config.DEV_QSTASH_MAX_DELAY_DAYS === undefined
          ? undefined
          : config.DEV_QSTASH_MAX_DELAY_DAYS * 86_400_000,
    });
  } catch (error) {
    if (error instanceof RedisServerMissingError) fail(error.message);
    throw error;
  }
}

/** The app's own hook once the stand-ins are up (the reference app seeds Jeeves's data streams). */
async function runDevSetup(app: AppConfig, stack: DevStack): Promise<void> {
  const setup = await loadDevSetup(app);
  const said = await setup?.(stack.env);
  if (said) logLine("stack", said);
}

/** Leaves the stack's QStash settings where `npm run schedules:sync` looks when no env is set. */
function announceStack(config: CliEnv, stack: DevStack, stopHandlers: Array<() => Promise<void>>): void {
  const file = localStackFile(path.resolve(config.OVERTIME_DATA_DIR));
  writeLocalStack(file, {
    QSTASH_URL: stack.env.QSTASH_URL,
    QSTASH_TOKEN: stack.env.QSTASH_TOKEN,
    appUrl: appUrlOf(config),
    pid: process.pid,
  });
  stopHandlers.push(async () => removeLocalStack(file, process.pid));
}

/** A sync failure is reported, never fatal: the app works without its schedules. */
async function syncDevSchedules(config: CliEnv, stack: DevStack, app: AppConfig): Promise<void> {
  const off = config.OVERTIME_DEV_SCHEDULES === "off";
  try {
    // Off = none for this app: the local QStash keeps its data, so earlier schedules are removed.
    const workflows = off ? [] : await loadWorkflows(app);
    if (!workflows) {
      logLine(
        "stack",
        'no workflows module configured ("overtime": { "workflows": … } in package.json): no schedules',
      );
      return;
    }
    const summary = await syncLocalSchedules({ env: stack.env, appUrl: appUrlOf(config), workflows });
    logLine("stack", `${summary} (OVERTIME_DEV_SCHEDULES=${off ? "on to add them" : "off to skip"})`);
  } catch (error) {
    logLine("stack", `schedules not synced: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function appUrlOf(config: CliEnv): string {
  return `http://127.0.0.1:${config.PORT}`;
}

function startNext(config: CliEnv, stackEnv: DevStackEnv, app: AppConfig): ChildProcess {
  const appUrl = appUrlOf(config);
  const child = spawn(
    process.execPath,
    [nextBin(app.root), "dev", "--port", String(config.PORT), "--hostname", "127.0.0.1"],
    {
      env: {
        ...process.env,
        ...stackEnv,
        UPSTASH_WORKFLOW_URL: appUrl,
        OVERTIME_TRIGGER_SECRET: process.env.OVERTIME_TRIGGER_SECRET || DEV_TRIGGER_SECRET,
        NEXT_TELEMETRY_DISABLED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
      // Stopped by us, in order, rather than by the terminal's Ctrl-C reaching the whole group.
      detached: true,
    },
  );
  process.once("exit", () => child.kill("SIGKILL"));
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      for (const line of chunk.split("\n")) if (line.trim()) logLine("next", line);
    });
  }
  return child;
}

function printSummary(command: "dev" | "stack", config: CliEnv, stack: DevStack): void {
  if (command === "stack") {
    logLine("stack", "stand-ins ready; settings for .env.local on stdout. Ctrl-C stops them.");
    for (const [key, value] of Object.entries(stack.env)) process.stdout.write(`${key}=${value}\n`);
    return;
  }
  const lines = [
    "",
    `  App          http://127.0.0.1:${config.PORT}`,
    `  Redis REST   ${stack.env.UPSTASH_REDIS_REST_URL}  (token ${stack.env.UPSTASH_REDIS_REST_TOKEN})`,
    `  QStash       ${stack.env.QSTASH_URL}`,
    `  Dev model    ${stack.env.OPENAI_BASE_URL}  (deterministic, not an LLM)`,
    `  Redis        ${stack.env.REDIS_URL}`,
    "",
    "  Trigger a run:",
    `    curl -X POST http://127.0.0.1:${config.PORT}/api/trigger/hello \\`,
    `      -H "Authorization: Bearer ${process.env.OVERTIME_TRIGGER_SECRET || DEV_TRIGGER_SECRET}" \\`,
    `      -H "Content-Type: application/json" -d '{"name":"Ada"}'`,
    "  Skip an hour of sleeps, retries and crons (the virtual clock):",
    `    curl -X POST ${stack.env.QSTASH_URL}/__dev/clock/advance -d '{"ms":3600000}'`,
    "",
    "  Ctrl-C stops everything.",
    "",
  ];
  for (const line of lines) logLine("stack", line);
}

let shuttingDown = false;

async function shutdown(handlers: Array<() => Promise<void>>, code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logLine("stack", "stopping…");
  for (const handler of handlers) await handler().catch(() => {});
  logLine("stack", "stopped");
  process.exit(code);
}

/** A second Ctrl-C forces the exit; one arriving within a moment of the first is the same keypress. */
const REPEAT_SIGNAL_GRACE_MS = 500;

function onInterrupt(handler: () => Promise<void>): void {
  let firstAt: number | undefined;
  const onSignal = () => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      void handler();
    } else if (Date.now() - firstAt > REPEAT_SIGNAL_GRACE_MS) {
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

function fail(message: string): never {
  logLine("stack", message);
  process.exit(1);
}

main().catch((error: unknown) => {
  logLine("stack", error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
