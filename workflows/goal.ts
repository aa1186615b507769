import type { Redis } from "@upstash/redis";
import { type LanguageModel, tool } from "ai";
import { defineWorkflow, type KeyBuilder } from "overtime";
import { runAgent } from "overtime/ai";
import { z } from "zod";
import { defaultModel } from "@/app/_lib/models";
import { redis as appRedis } from "@/app/_lib/redis";

export interface GoalDependencies {
  redis: () => Redis;
  model: () => LanguageModel;
}

export const verdict = z.object({
  done: z.boolean(),
  score: z.number().min(0).max(10),
  reason: z.string(),
});
export type Verdict = z.infer<typeof verdict>;

const input = z.object({
  objective: z.string().min(1).max(2_000),
  /** The draft is done at this many words (what the judge's measuring tool checks). */
  targetWords: z.number().int().min(1).max(10_000),
  maxRuns: z.number().int().min(1).max(10).default(3),
});

const output = z.object({
  outcome: z.enum(["done", "gave-up"]),
  attempts: z.number().int(),
  verdicts: z.array(verdict.extend({ attempt: z.number().int() })),
  draft: z.string(),
});

/**
 * Works toward an objective in attempts. Each attempt, a worker agent extends a draft (kept in Redis);
 * then a judge agent measures it with a tool and answers with a structured verdict (done, score 0–10,
 * reason). The run stops at the first `done` or after `maxRuns` attempts; every verdict is recorded
 * as its own step and in the output. The next attempt sees the last verdict's reason.
 */
export function createGoalWorkflow(deps: GoalDependencies) {
  return defineWorkflow({
    name: "goal",
    description: "Attempts an objective until a judge says it is done, or maxRuns attempts.",
    input,
    output,
    async handler(run) {
      const { context, input: job, runId, log } = run;
      const draft = draftStore(deps.redis, goalDraftKey(run.key, runId));
      const verdicts: Array<Verdict & { attempt: number }> = [];
      for (let attempt = 1; attempt <= job.maxRuns; attempt++) {
        const feedback = verdicts.at(-1)?.reason ?? "none yet";
        await runAgent(run, {
          name: `attempt-${attempt}`,
          model: deps.model(),
          system: "You work toward the objective by adding to the draft with appendToDraft.",
          prompt: `Objective: ${JSON.stringify(job.objective)}\nThe judge's last verdict: ${feedback}\nUse appendToDraft.`,
          tools: { appendToDraft: draft.appendTool() },
          maxTurns: 2,
        });
        const judged = await runAgent(run, {
          name: `judge-${attempt}`,
          model: deps.model(),
          system: "You are a strict judge. Measure the draft with measureDraft and answer with your verdict.",
          prompt: `Objective: ${JSON.stringify(job.objective)}\nUse measureDraft, then give done, score and reason.`,
          tools: { measureDraft: draft.measureTool(job.targetWords) },
          output: verdict,
          maxTurns: 2,
        });
        const recorded = await context.run(`verdict-${attempt}`, () => {
          const parsed = { attempt, ...verdict.parse(judged.output) };
          log(
            `attempt ${attempt}: ${parsed.done ? "done" : "not done"}, score ${parsed.score}: ${parsed.reason}`,
          );
          return parsed;
        });
        verdicts.push(recorded);
        if (recorded.done) break;
      }
      const text = await context.run("read-draft", () => draft.text());
      const done = verdicts.at(-1)?.done === true;
      return { outcome: done ? "done" : "gave-up", attempts: verdicts.length, verdicts, draft: text };
    },
  });
}

export function goalDraftKey(key: KeyBuilder, runId: string): string {
  return key("goal", runId, "draft");
}

const DRAFT_TTL_SECONDS = 30 * 86_400;
const wordsIn = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The run's draft: one entry per tool call id, so a retried tool step appends once. */
function draftStore(redis: () => Redis, key: string) {
  const text = async () =>
    Object.values((await redis().hgetall<Record<string, string>>(key)) ?? {}).join("\n");
  return {
    text,
    appendTool: () =>
      tool({
        description: "Append a passage to the draft.",
        inputSchema: z.object({ text: z.string().min(1).max(5_000) }),
        execute: async ({ text: passage }, { toolCallId }) => {
          await redis().pipeline().hsetnx(key, toolCallId, passage).expire(key, DRAFT_TTL_SECONDS).exec();
          return { appended: wordsIn(passage) };
        },
      }),
    measureTool: (targetWords: number) =>
      tool({
        description: "Measure the draft against the objective: word count, done, score and reason.",
        inputSchema: z.object({}),
        execute: async () => {
          const words = wordsIn(await text());
          const done = words >= targetWords;
          const score = Math.min(10, Math.round((10 * words) / targetWords));
          return { words, done, score, reason: `${words} of ${targetWords} words` };
        },
      }),
  };
}

export const goal = createGoalWorkflow({ redis: appRedis, model: () => defaultModel() });
