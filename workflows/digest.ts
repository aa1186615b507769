import type { Redis } from "@upstash/redis";
import type { LanguageModel, ModelMessage } from "ai";
import { defineWorkflow, type KeyBuilder } from "overtime";
import { runAgent } from "overtime/ai";
import { z } from "zod";
import { agentTools } from "@/app/_lib/jeeves/tools";
import { defaultModel } from "@/app/_lib/models";
import { redis as appRedis } from "@/app/_lib/redis";
import { createStreamTools } from "@/app/_lib/streams/analysis/tools";
import { RedisStreamStore } from "@/app/_lib/streams/redis-store";

export interface DigestDependencies {
  redis: () => Redis;
  model: () => LanguageModel;
}

const input = z.object({
  /** Names the conversation memory; runs with the same thread share it. */
  threadId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "letters, digits and . _ - (at most 100)"),
  /** Sent as the user's message, as if someone typed it every morning. */
  prompt: z.string().min(1).max(4_000),
  /** Remember earlier digests of this thread (true), or start clean each time (false). */
  threaded: z.boolean().default(true),
  /** How many earlier exchanges (prompt + report) the agent sees. */
  memoryExchanges: z.number().int().min(1).max(20).default(5),
});

const output = z.object({
  report: z.string(),
  /** The earlier reports the agent saw, oldest first. */
  remembered: z.array(z.string()),
});

const DEFAULT_PROMPT =
  'Morning digest: how did "seattle.temp_max" look lately? Use recentData and statistics, and compare with what you reported last time.';

/**
 * A heartbeat: every morning at 08:00 London time, a fixed prompt runs as if a user sent it. Threaded,
 * the agent gets the thread's last exchanges from Redis (so it can say what changed since yesterday);
 * unthreaded, it starts clean. Two read-only tools, nothing else.
 */
export function createDigestWorkflow(deps: DigestDependencies) {
  return defineWorkflow({
    name: "digest",
    description: "A daily prompt run as if a user sent it, with optional memory of earlier digests.",
    input,
    output,
    schedules: [
      {
        id: "morning",
        cron: "0 8 * * *",
        timezone: "Europe/London",
        input: { threadId: "morning", prompt: DEFAULT_PROMPT, threaded: true, memoryExchanges: 5 },
      },
    ],
    async handler(run) {
      const { context, input: job } = run;
      const memory = threadMemory(deps.redis, digestMemoryKey(run.key, job.threadId));
      const history = job.threaded
        ? await context.run("load-memory", () => memory.load(job.memoryExchanges))
        : [];
      const tools = createStreamTools(new RedisStreamStore(deps.redis()));
      const result = await runAgent(run, {
        name: "digest",
        model: deps.model(),
        system:
          "You write a short daily digest of the data streams. Mention what changed since your last digest.",
        messages: [...history, { role: "user", content: job.prompt }],
        tools: agentTools(tools, ["recentData", "statistics"]),
        maxTurns: 3,
        budget: { tenant: "digest" },
      });
      if (job.threaded) {
        await context.run("save-memory", () => memory.append(job.prompt, result.text, job.memoryExchanges));
      }
      return { report: result.text, remembered: reportsIn(history) };
    },
  });
}

function reportsIn(history: ModelMessage[]): string[] {
  return history.filter((m) => m.role === "assistant").map((m) => String(m.content));
}

export function digestMemoryKey(key: KeyBuilder, threadId: string): string {
  return key("digest", threadId, "memory");
}

const MEMORY_TTL_SECONDS = 90 * 86_400;

/** The thread's last exchanges as plain user/assistant messages (tool calls are not kept). */
function threadMemory(redis: () => Redis, key: string) {
  return {
    async load(exchanges: number): Promise<ModelMessage[]> {
      const stored = await redis().lrange<unknown>(key, -2 * exchanges, -1);
      return stored.map((value) => (typeof value === "string" ? JSON.parse(value) : value) as ModelMessage);
    },
    async append(prompt: string, report: string, exchanges: number): Promise<number> {
      const messages = [
        { role: "user", content: prompt },
        { role: "assistant", content: report },
      ].map((m) => JSON.stringify(m));
      await redis()
        .pipeline()
        .rpush(key, ...messages)
        .ltrim(key, -2 * exchanges, -1)
        .expire(key, MEMORY_TTL_SECONDS)
        .exec();
      return messages.length;
    },
  };
}

/** The thread's remembered messages, oldest first. */
export async function digestMemory(redis: Redis, key: KeyBuilder, threadId: string): Promise<ModelMessage[]> {
  const stored = await redis.lrange<unknown>(digestMemoryKey(key, threadId), 0, -1);
  return stored.map((value) => (typeof value === "string" ? JSON.parse(value) : value) as ModelMessage);
}

export const digest = createDigestWorkflow({ redis: appRedis, model: () => defaultModel() });
