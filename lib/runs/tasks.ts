import type { Redis } from "@upstash/redis";
import { storedJson } from "../stored-json";
import { Keys } from "./keys";

/**
 * A unit of work inside a run that a workflow wants people to see (a fetched source, a file, a shard).
 * `GET /api/runs/{id}` lists them as `tasks` and the dashboard shows them on the run page; any other
 * fields are kept and returned as they are.
 */
export interface RunTask {
  id: string;
  /** Free text; "queued", "running", "done", "failed" and "canceled" get their own colors. */
  state: string;
  /** One line that names the task, e.g. a URL. */
  title?: string;
  /** What came of it, e.g. an HTTP status or a summary. */
  detail?: string;
  [extra: string]: unknown;
}

export interface TaskOptions {
  prefix?: string;
  /** Default 30 days, like run records. */
  ttlSeconds?: number;
}

const DEFAULT_TTL_SECONDS = 30 * 86_400;

/** Creates or replaces these tasks of the run (others are kept): one HSET + EXPIRE pipeline. */
export async function publishRunTasks(
  redis: Redis,
  runId: string,
  tasks: RunTask[],
  options: TaskOptions = {},
): Promise<void> {
  if (tasks.length === 0) return;
  const key = new Keys(options.prefix).tasks(runId);
  const fields = Object.fromEntries(tasks.map((task) => [task.id, JSON.stringify(task)]));
  await redis
    .pipeline()
    .hset(key, fields)
    .expire(key, options.ttlSeconds ?? DEFAULT_TTL_SECONDS)
    .exec();
}

/** The run's tasks, ordered by id with numbers compared as numbers (task-2 before task-10). */
export async function readRunTasks(redis: Redis, runId: string, prefix?: string): Promise<RunTask[]> {
  const stored = (await redis.hgetall<Record<string, unknown>>(new Keys(prefix).tasks(runId))) ?? {};
  return Object.values(stored)
    .map((value) => storedJson<RunTask>(value))
    .sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
}
