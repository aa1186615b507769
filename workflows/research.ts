import type { Redis } from "@upstash/redis";
import type { WorkflowContext } from "@upstash/workflow";
import { generateText, type LanguageModel } from "ai";
import { defineWorkflow, type HandlerArgs, type RunTask, readRunTasks } from "overtime";
import { runAgent } from "overtime/ai";
import { z } from "zod";
import { defaultModel } from "@/app/_lib/models";
import { redis as appRedis } from "@/app/_lib/redis";

export type TaskState = "queued" | "running" | "done" | "failed";

export interface ResearchTask {
  id: string;
  url: string;
  agent: string;
  state: TaskState;
  /** HTTP status of the last fetch attempt (after QStash's retries). */
  status?: number;
  summary?: string;
}

const input = z.object({
  question: z.string().min(1).max(2_000),
  sources: z
    .array(
      z.object({
        url: z.url(),
        /** Which fetcher handles it; each has its own concurrency limit. */
        agent: z
          .string()
          .regex(/^[a-z0-9-]{1,40}$/)
          .default("default"),
      }),
    )
    .min(1)
    .max(50),
  /** Tasks fetching at once, over all agents. */
  maxConcurrent: z.number().int().min(1).max(20).default(4),
  /** Tasks fetching at once per agent (QStash flow control). */
  maxPerAgent: z.number().int().min(1).max(20).default(2),
  taskTimeoutSeconds: z.number().int().min(1).max(900).default(30),
  taskRetries: z.number().int().min(0).max(5).default(2),
});
type ResearchInput = z.infer<typeof input>;

export interface ResearchDependencies {
  redis: () => Redis;
  model: () => LanguageModel;
}

/** Characters of a page the summarizer reads (pages are untrusted and can be huge). */
const PAGE_CHARS = 8_000;

/**
 * Background fan-out: each source is a task (fetch with `context.call`, then summarize in its own
 * step); when every task is idle, an agent compares the summaries. Task states live in a Redis hash
 * (`researchTasks(redis, runId)`, published as the run's `tasks`) and each change is logged on the run's event channel.
 *
 * Concurrency, as measured on the QStash stand-in (tests/integration/workflows/research.test.ts):
 * - per agent: `flowControl: { key: research-<agent>, parallelism }` on each `context.call` holds the
 *   excess calls in QStash (they queue and are delivered as slots free up; none is dropped).
 * - global: tasks are released in waves of `maxConcurrent`. A second flow-control key cannot be put on
 *   the same call, and a child run per task (`invoke` with a shared key) would not cap the fetches
 *   either: flow control counts deliveries, and a child waiting on its `context.call` has none in
 *   flight under its own key. So the global cap is kept by the workflow itself.
 */
export function createResearchWorkflow(deps: ResearchDependencies) {
  return defineWorkflow({
    name: "research",
    description:
      "Fetches and summarizes each source as its own task under concurrency limits, then compares.",
    input,
    async handler(run) {
      const { context, input: job, log } = run;
      const board = taskBoard(run);
      const tasks = await context.run("queue-tasks", async () => {
        const queued = job.sources.map(
          (source, index): ResearchTask => ({ id: `task-${index + 1}`, ...source, state: "queued" }),
        );
        await board.write(queued);
        log(`queued ${queued.length} tasks`);
        return queued;
      });
      const finished: ResearchTask[] = [];
      for (let start = 0, wave = 1; start < tasks.length; start += job.maxConcurrent, wave++) {
        const batch = tasks.slice(start, start + job.maxConcurrent);
        await context.run(`start-wave-${wave}`, async () => {
          await board.write(batch.map((task) => ({ ...task, state: "running" })));
          log(`wave ${wave}: running ${batch.map((task) => task.id).join(", ")}`);
          return batch.length;
        });
        finished.push(...(await runWave(context, deps, board, job, batch)));
      }
      const comparison = await runAgent(run, {
        name: "compare",
        model: deps.model(),
        system: "Compare the sources' answers to the question. Say where they agree and where they differ.",
        prompt: comparePrompt(job.question, finished),
        maxTurns: 1,
        budget: { tenant: "research" },
      });
      return { question: job.question, tasks: finished, comparison: comparison.text };
    },
  });
}

async function runWave(
  context: WorkflowContext<unknown>,
  deps: ResearchDependencies,
  board: ReturnType<typeof taskBoard>,
  job: ResearchInput,
  batch: ResearchTask[],
): Promise<ResearchTask[]> {
  const pages = await Promise.all(
    batch.map((task) =>
      context.call<string>(`fetch:${task.id}`, {
        url: task.url,
        method: "GET",
        timeout: job.taskTimeoutSeconds,
        retries: job.taskRetries,
        flowControl: { key: `research-${task.agent}`, parallelism: job.maxPerAgent },
      }),
    ),
  );
  return Promise.all(
    batch.map((task, index) =>
      context.run(`summarize:${task.id}`, async (): Promise<ResearchTask> => {
        const page = pages[index] as { status: number; body: unknown };
        const ok = page.status >= 200 && page.status < 300;
        const summary = ok ? await summarize(deps.model(), job.question, page.body) : undefined;
        const done: ResearchTask = { ...task, state: ok ? "done" : "failed", status: page.status, summary };
        await board.write([done]);
        return done;
      }),
    ),
  );
}

async function summarize(model: LanguageModel, question: string, body: unknown): Promise<string> {
  const page = (typeof body === "string" ? body : JSON.stringify(body)).slice(0, PAGE_CHARS);
  const { text } = await generateText({
    model,
    system: "Summarize what this page says about the question, in two sentences. Quote figures exactly.",
    prompt: `Question: ${question}\n\nPage:\n${page}`,
  });
  return text;
}

function comparePrompt(question: string, tasks: ResearchTask[]): string {
  const lines = tasks.map((task) =>
    task.state === "done"
      ? `- ${task.url}: ${task.summary}`
      : `- ${task.url}: unavailable (HTTP ${task.status})`,
  );
  return `Question: ${question}\nSources:\n${lines.join("\n")}`;
}

/** The task states live in the run's generic task list, so the run API and dashboard show them. */
function taskBoard(run: Pick<HandlerArgs<unknown>, "tasks">) {
  return { write: (tasks: ResearchTask[]) => run.tasks.publish(tasks.map(asRunTask)) };
}

function asRunTask(task: ResearchTask): RunTask {
  const outcome = [task.status && `HTTP ${task.status}`, task.summary].filter(Boolean).join(" · ");
  return { ...task, title: task.url, ...(outcome && { detail: outcome }) };
}

/** The run's tasks with their current states, in task order. */
export async function researchTasks(redis: Redis, runId: string, prefix?: string): Promise<ResearchTask[]> {
  return (await readRunTasks(redis, runId, prefix)) as unknown as ResearchTask[];
}

export const research = createResearchWorkflow({ redis: appRedis, model: () => defaultModel() });
