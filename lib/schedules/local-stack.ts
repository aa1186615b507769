import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * Where a running `npm run dev` / `npm run dev:stack` leaves the local QStash's settings, so that
 * `npm run schedules:sync` in another terminal finds the local stack with no .env.local: `dev.json` in
 * the dev data directory (OVERTIME_DATA_DIR, default `.data`, git-ignored). Holds only local stand-in
 * credentials.
 */
export function localStackFile(dataDir = ".data"): string {
  return path.join(dataDir, "dev.json");
}

const LocalStack = z.object({
  QSTASH_URL: z.url(),
  QSTASH_TOKEN: z.string().min(1),
  /** The local app QStash calls back (what schedules target). */
  appUrl: z.url(),
  /** The dev CLI's process: a file left by a process that is gone is ignored. */
  pid: z.number().int().positive(),
});
export type LocalStack = z.infer<typeof LocalStack>;

export function writeLocalStack(file: string, stack: LocalStack): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the file if `pid` wrote it (a second dev CLI that failed to start must not remove the first's). */
export function removeLocalStack(file: string, pid: number): void {
  if (readLocalStack(file, () => true)?.pid === pid) rmSync(file, { force: true });
}

/** The running local stack's settings, or undefined (no file, unreadable, or its process is gone). */
export function readLocalStack(
  file: string,
  isRunning: (pid: number) => boolean = processIsRunning,
): LocalStack | undefined {
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  let parsed: ReturnType<typeof LocalStack.safeParse>;
  try {
    parsed = LocalStack.safeParse(JSON.parse(raw));
  } catch {
    return undefined;
  }
  return parsed.success && isRunning(parsed.data.pid) ? parsed.data : undefined;
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
