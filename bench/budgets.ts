/**
 * Budget benchmark: concurrent runs of three workflows — the plain 6-turn agent and the shipped
 * tool-using `digest` and `jeeves` — offering 1×, 2× and 3× the dev model's own tokens-per-minute
 * limit, each with a shared token budget equal to that limit and without one. Reports provider 429s,
 * the most the model admitted in any sliding minute, and wall time against the token-bound minimum
 * (total tokens ÷ TPM). Real time (the limit is per minute): about five minutes in all. Part of
 * `npm run bench` (`--only=budgets`); still runnable alone:
 *
 *   node --import tsx bench/budgets.ts [workflows=agent,digest,jeeves] [multiples=1,2,3]
 */

import { pathToFileURL } from "node:url";
import { z } from "zod";
import { RedisStreamStore } from "../app/_lib/streams/redis-store";
import { seedStreams } from "../app/_lib/streams/seed";
import { createTestStack, type TestStack } from "../dev/testing";
import { runAgent } from "../lib/ai";
import type { AnyWorkflow } from "../lib/workflow/define";
import { defineWorkflow } from "../lib/workflow/define";
import { createDigestWorkflow } from "../workflows/digest";
import { createJeevesWorkflow } from "../workflows/jeeves";
import { AGENT_SCRIPT, lookupTool } from "./support/agent-shape";
import { round } from "./support/numbers";
import { type Bench, type BenchOutcome, type Target, table } from "./support/report";

const MODEL = "gpt-4o-mini";
const MULTIPLES = [1, 2, 3];
/** Wall time targets: 3× within 15% of the token-bound minimum, 1× within 15% of no budget at all. */
const SLACK = 1.15;
/** 1× takes a second or two: the median of a few runs, each on a fresh stack. */
const REPEATS_AT_1X = 7;
/** Longest a scenario waits for its runs (3× takes about three and a half minutes). */
const RUN_TIMEOUT_MS = 360_000;

interface Shape {
  name: "agent" | "digest" | "jeeves";
  /** Runs that make up 1×. */
  runsAt1x: number;
  /** Output tokens each turn reserves (the workflow's own setting): 1× leaves room for it, see below. */
  allowance: number;
  workflow(holder: { t?: TestStack }): AnyWorkflow;
  input(index: number): unknown;
  seed: boolean;
}

const model = (holder: { t?: TestStack }) => (holder.t as TestStack).openai(MODEL);

const SHAPES: Shape[] = [
  {
    name: "agent",
    runsAt1x: 2,
    allowance: 64,
    seed: false,
    input: () => ({}),
    workflow: (holder) =>
      defineWorkflow({
        name: "agent",
        input: z.object({}),
        retries: 10,
        async handler(run) {
          const result = await runAgent(run, {
            name: "bench",
            model: model(holder),
            prompt: AGENT_SCRIPT,
            tools: { lookup: lookupTool() },
            budget: { reserveOutputTokens: 64 },
            maxTurns: 8,
          });
          return { turns: result.turns, tokens: result.usage.totalTokens };
        },
      }),
  },
  {
    name: "digest",
    runsAt1x: 2,
    allowance: 512,
    seed: true,
    input: (index) => ({ threadId: `bench-${index}`, prompt: DIGEST_PROMPT, threaded: false }),
    workflow: (holder) =>
      createDigestWorkflow({
        redis: () => (holder.t as TestStack).overtime.config.redis,
        model: () => model(holder),
      }),
  },
  {
    name: "jeeves",
    // Two: a single Jeeves call is up to ~40% of one run's tokens, so a minute of one run packs poorly.
    runsAt1x: 2,
    allowance: 400,
    seed: true,
    input: () => ({}),
    workflow: (holder) =>
      createJeevesWorkflow({
        redis: () => (holder.t as TestStack).overtime.config.redis,
        model: () => model(holder),
      }),
  },
];

const NOTHING = { called: false, inputTokens: 0, outputTokens: 0 };

const DIGEST_PROMPT =
  'Morning digest: how did "seattle.temp_max" look lately? Use recentData and statistics, and compare with what you reported last time.';

export interface BudgetScenario {
  workflow: string;
  multiple: number;
  budgets: "on" | "off";
  tpm: number;
  runs: number;
  succeeded: number;
  provider429s: number;
  modelRequests: number;
  /** Input + output tokens the dev model admitted. */
  tokens: number;
  offeredVsTpm: number;
  /** The most the dev model admitted within one sliding minute. */
  peakTokensPerMinute: number;
  /** The median of `samples` when the scenario was repeated (1×: seconds, so noise matters). */
  seconds: number;
  samples?: number[];
  /** Total tokens ÷ TPM, in seconds: no schedule can finish sooner than (about) that. */
  tokenBoundSeconds: number;
}

async function startStack(shape: Shape, tpm: number | undefined, withBudget: boolean) {
  const holder: { t?: TestStack } = {};
  const t = await createTestStack({
    workflows: [shape.workflow(holder)],
    model: tpm ? { tokensPerMinute: tpm } : {},
    ai: { budgets: withBudget && tpm ? { [MODEL]: { tokensPerMinute: tpm } } : {} },
  });
  holder.t = t;
  if (shape.seed) await seedStreams(new RedisStreamStore(t.overtime.config.redis));
  if (withBudget) await warmScripts(t);
  return t;
}

/** Loads the ledger's scripts into this fresh Redis (once per database in production, not per run). */
async function warmScripts(t: TestStack): Promise<void> {
  const { budgets } = t.overtime.services;
  const held = await budgets.reserve({ model: MODEL, tenant: "bench-warm-up", tokens: 1 });
  if (held.granted) await budgets.settle({ model: MODEL, tenant: "bench-warm-up" }, held, NOTHING);
  await budgets.status();
}

/** Runs `count` runs of the shape at once; tokens from the dev model's own counters. */
async function measure(t: TestStack, shape: Shape, count: number) {
  const startedAt = Date.now();
  const ids = await Promise.all(
    Array.from({ length: count }, (_, i) => t.trigger(shape.name, shape.input(i))),
  );
  // Without a budget a run may fail its turn after 8 refusals and then sit in QStash's retry backoff:
  // it counts as not finished once the scenario has run this long.
  const finished = await Promise.all(
    ids.map((id) => t.waitForRun(id, { timeoutMs: RUN_TIMEOUT_MS }).catch(() => undefined)),
  );
  // The runs' own finish times (the app's clock, to the ms), not when polling noticed them.
  const ends = finished.map((run) => run?.finishedAt);
  const lastEnd = ends.every((end) => end !== undefined) ? Math.max(...(ends as number[])) : Date.now();
  const seconds = (lastEnd - startedAt) / 1000;
  const stats = t.dev.model.stats();
  return { finished, seconds, stats };
}

/** One run on an unlimited model: tokens per run and the largest single call. */
async function calibrate(shape: Shape): Promise<number> {
  const t = await startStack(shape, undefined, false);
  try {
    const { stats } = await measure(t, shape, 1);
    return stats.inputTokens + stats.outputTokens;
  } finally {
    await t.stop();
  }
}

/**
 * The model's limit for a shape: `runsAt1x` runs plus, per run, room for its last turn's output
 * allowance. A budget must reserve that allowance before the call (it cannot know how long the
 * answer will be; OpenAI counts max_tokens the same way), so this is the most work that fits in a
 * minute through a budget; the offered ratios below are the measured tokens over this limit.
 */
function limitFor(shape: Shape, tokensPerRun: number): number {
  return Math.ceil((shape.runsAt1x * (tokensPerRun + shape.allowance * 1.25)) / 100) * 100;
}

export async function budgetScenario(
  shape: Shape,
  multiple: number,
  withBudget: boolean,
  tpm: number,
  tokensPerRun: number,
): Promise<BudgetScenario> {
  // 2× and 3× offer at least that much (runs rounded up): fewer would test 2.8× and call it 3×.
  const runs = multiple === 1 ? shape.runsAt1x : Math.ceil((multiple * tpm) / tokensPerRun);
  const t = await startStack(shape, tpm, withBudget);
  try {
    const { finished, seconds, stats } = await measure(t, shape, runs);
    const tokens = stats.inputTokens + stats.outputTokens;
    const scenario: BudgetScenario = {
      workflow: shape.name,
      multiple,
      budgets: withBudget ? "on" : "off",
      tpm,
      runs,
      succeeded: finished.filter((run) => run?.status === "succeeded").length,
      provider429s: stats.rateLimited,
      modelRequests: stats.requests,
      tokens,
      offeredVsTpm: round(tokens / tpm, 2),
      peakTokensPerMinute: stats.peakTokensPerMinute,
      seconds: round(seconds, seconds < 10 ? 2 : 1),
      tokenBoundSeconds: round((tokens / tpm) * 60, 1),
    };
    console.log(`  ${shape.name} ${multiple}× budgets ${scenario.budgets}: ${JSON.stringify(scenario)}`);
    return scenario;
  } finally {
    await t.stop();
  }
}

/** Repetitions of one scenario as one row: the median time, every sample, the worst of the counters. */
function combined(samples: readonly BudgetScenario[]): BudgetScenario {
  const first = samples[0] as BudgetScenario;
  return {
    ...first,
    succeeded: Math.min(...samples.map((s) => s.succeeded)),
    provider429s: Math.max(...samples.map((s) => s.provider429s)),
    peakTokensPerMinute: Math.max(...samples.map((s) => s.peakTokensPerMinute)),
    seconds: median(samples.map((s) => s.seconds)),
    samples: samples.map((s) => s.seconds),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export const budgetsBench: Bench = {
  name: "budgets",
  title: "Budgets: provider 429s and wall time at 1×, 2×, 3× the model's TPM (agent, digest, Jeeves)",
  method:
    "Three workflows: the plain 6-turn agent and the shipped tool-using `digest` and `jeeves`. Each is first run once " +
    "on an unlimited dev model to measure its tokens per run; the dev model is then limited to a TPM that holds the " +
    "1× runs plus each run's last output allowance (2 runs of each); then 1× and at least (runs rounded up) " +
    "2× and 3× that TPM are started at once, on a fresh stack each time: with a shared budget of the same TPM " +
    "(sliding-minute ledger; each turn reserves before its call and settles right after; a denied run waits durably " +
    "until a settlement makes room for it, oldest first, at the latest until the time the ledger names) and without " +
    "one (provider 429 → durable sleep for retry-after). Tokens, 429s and the " +
    "peak sliding minute are the dev model's own counters. Real minutes; the 1× pairs run alone (median of " +
    `${REPEATS_AT_1X} fresh stacks each, off and on alternating, as they take about a second; the ledger's Lua scripts ` +
    "are loaded into each fresh Redis first, a one-time cost per database), then all 2× and 3× scenarios at once (each " +
    "waits on the clock, not the CPU).",
  run: runBudgets,
};

async function runBudgets(shapes = SHAPES, multiples = MULTIPLES): Promise<BenchOutcome> {
  const limits = new Map<string, { tpm: number; tokensPerRun: number }>();
  for (const shape of shapes) {
    const tokensPerRun = await calibrate(shape);
    limits.set(shape.name, { tpm: limitFor(shape, tokensPerRun), tokensPerRun });
    console.log(`  ${shape.name}: ${tokensPerRun} tokens per run → TPM ${limits.get(shape.name)?.tpm}`);
  }
  const scenario = (shape: Shape, multiple: number, on: boolean) => {
    const { tpm, tokensPerRun } = limits.get(shape.name) as { tpm: number; tokensPerRun: number };
    return budgetScenario(shape, multiple, on, tpm, tokensPerRun);
  };
  const scenarios: BudgetScenario[] = [];
  // 1× finishes in seconds: alone, so other scenarios' CPU does not blur the on/off comparison.
  // Off and on alternate, so a busy moment of the machine falls on both alike.
  for (const shape of shapes) {
    if (!multiples.includes(1)) continue;
    const off: BudgetScenario[] = [];
    const on: BudgetScenario[] = [];
    for (let repeat = 0; repeat < REPEATS_AT_1X; repeat++) {
      off.push(await scenario(shape, 1, false));
      on.push(await scenario(shape, 1, true));
    }
    scenarios.push(combined(off), combined(on));
  }
  const rest = shapes.flatMap((shape) =>
    multiples.filter((m) => m !== 1).flatMap((m) => [scenario(shape, m, true), scenario(shape, m, false)]),
  );
  scenarios.push(...(await Promise.all(rest)));
  return budgetsOutcome(shapes, scenarios);
}

const find = (
  scenarios: readonly BudgetScenario[],
  workflow: string,
  multiple: number,
  budgets: "on" | "off",
) => scenarios.find((s) => s.workflow === workflow && s.multiple === multiple && s.budgets === budgets);

function budgetsOutcome(shapes: readonly Shape[], scenarios: readonly BudgetScenario[]): BenchOutcome {
  const ordered = shapes.flatMap((shape) =>
    MULTIPLES.flatMap((m) =>
      (["on", "off"] as const).flatMap((b) => find(scenarios, shape.name, m, b) ?? []),
    ),
  );
  const rows = ordered.map((s) => [
    s.workflow,
    `${s.multiple}× (${s.offeredVsTpm})`,
    s.budgets,
    `${s.succeeded} / ${s.runs}`,
    s.provider429s,
    s.modelRequests,
    `${s.tokens} / ${s.tpm}`,
    s.peakTokensPerMinute,
    `${s.seconds} s`,
    `${s.tokenBoundSeconds} s`,
    s.budgets === "on" ? ratioToBound(s) : "",
  ]);
  const targets: Target[] = [];
  const on = ordered.filter((s) => s.budgets === "on");
  const leaks = on.filter((s) => s.provider429s > 0 || s.succeeded < s.runs);
  targets.push({
    target: "0 provider 429s with budgets on, every workflow at 1×, 2× and 3× TPM",
    measured: `${on.reduce((sum, s) => sum + s.provider429s, 0)} 429s in ${on.length} scenarios; ${on.filter((s) => s.succeeded === s.runs).length} / ${on.length} with every run finished`,
    met: on.length > 0 && leaks.length === 0,
    ...(leaks.length > 0 && {
      explanation: leaks.map((s) => `${s.workflow} ${s.multiple}×: ${s.provider429s}`).join(", "),
    }),
  });
  for (const shape of shapes) {
    const top = find(scenarios, shape.name, 3, "on");
    if (top) {
      targets.push({
        target: `${shape.name}: wall time at 3× ≤ ${SLACK}× the token-bound minimum (tokens ÷ TPM)`,
        measured: `${top.seconds} s vs ${top.tokenBoundSeconds} s (${ratioToBound(top)})`,
        met: top.seconds <= SLACK * top.tokenBoundSeconds,
      });
    }
    const one = find(scenarios, shape.name, 1, "on");
    const off = find(scenarios, shape.name, 1, "off");
    if (one && off) {
      targets.push({
        target: `${shape.name}: wall time at 1× ≤ ${SLACK}× budgets off`,
        measured: `${one.seconds} s vs ${off.seconds} s (×${round(one.seconds / off.seconds, 2)})`,
        met: one.seconds <= SLACK * off.seconds,
      });
    }
  }
  const offHigh = ordered.filter((s) => s.budgets === "off" && s.multiple > 1);
  targets.push({
    target: "budgets off still shows the 429s budgets prevent (2× and 3×)",
    measured: offHigh.map((s) => `${s.workflow} ${s.multiple}×: ${s.provider429s}`).join(", "),
    met: offHigh.length > 0 && offHigh.every((s) => s.provider429s > 0),
  });
  const note =
    "Offered = tokens the dev model admitted ÷ its TPM. 1× is the runs a minute holds through a budget: a budget " +
    "reserves each turn's output allowance before the call (it cannot know how long the answer will be; OpenAI " +
    "counts max_tokens the same way) and gives back what was not used as soon as the call returns, so the TPM " +
    "holds the 1× runs plus room for their last allowance. Token bound = tokens ÷ TPM: the budget lets a whole " +
    "minute through at once and admits again as soon as the oldest calls leave the sliding minute, so 2× and 3× " +
    "can finish a little under it (the last minute is not full); the peak column is the most the model admitted " +
    "in any sliding minute, never above the TPM with budgets on.";
  return {
    figures: { scenarios: ordered },
    markdown: [
      table(
        [
          "workflow",
          "offered",
          "budgets",
          "finished",
          "provider 429s",
          "model requests",
          "tokens / TPM",
          "peak minute",
          "wall time",
          "token bound",
          "time ÷ bound",
        ],
        rows,
      ),
      note,
    ],
    targets,
  };
}

function ratioToBound(s: BudgetScenario): string {
  return `×${round(s.seconds / s.tokenBoundSeconds, 2)}`;
}

async function main(): Promise<void> {
  const names = (process.argv[2] ?? SHAPES.map((s) => s.name).join(",")).split(",");
  const multiples = (process.argv[3] ?? MULTIPLES.join(",")).split(",").map(Number);
  const outcome = await runBudgets(
    SHAPES.filter((s) => names.includes(s.name)),
    multiples,
  );
  for (const block of outcome.markdown) console.log(`${block}\n`);
  console.table(outcome.targets);
  process.exit(0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
