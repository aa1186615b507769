import { RedisStreamStore } from "../app/_lib/streams/redis-store";
import { seedStreams } from "../app/_lib/streams/seed";
import { DEFAULT_PRICES } from "../lib/cost/pricing";
import { hello } from "../workflows/hello";
import { createJeevesWorkflow, type JeevesDependencies, runJeeves } from "../workflows/jeeves";
import { rawAgent, setAgentProvider, trackedAgent } from "./support/agent-shape";
import { round } from "./support/numbers";
import { rawAgentLoop } from "./support/raw-agent";
import { type Bench, type BenchOutcome, table } from "./support/report";
import { type BenchStack, type RawWorkflow, startBenchStack } from "./support/stack";

/** When DEFAULT_PRICES (lib/cost/pricing.ts) were last changed; not re-checked against the vendors (offline). */
const PRICES_AS_OF = "2026-11-21";

export const costBench: Bench = {
  name: "cost",
  title: "Cost per run",
  method:
    "One run of each workflow through Overtime and its raw `@upstash/workflow` twin (same steps, no tracking), " +
    "counted by the stand-ins: QStash messages by kind (`/__dev/stats`), Redis REST requests and commands " +
    "(trigger writes included), app invocations, QStash API calls from the app, model tokens; dollars at list " +
    `prices (lib/cost/pricing.ts, as of ${PRICES_AS_OF}): QStash $${round(DEFAULT_PRICES.qstashPerMessage * 100_000, 4)} / 100k messages, ` +
    `Upstash Redis $${round(DEFAULT_PRICES.redisPerCommand * 100_000, 4)} / 100k commands, gpt-4o-mini ` +
    `$${DEFAULT_PRICES.models["gpt-4o-mini"]?.inputPerMillion} / $${DEFAULT_PRICES.models["gpt-4o-mini"]?.outputPerMillion} per M input / output tokens.`,
  run: runCost,
};

const rawFinished = new Set<string>();

function finishing(workflow: RawWorkflow): RawWorkflow {
  return async (context) => {
    const output = await workflow(context);
    rawFinished.add(context.workflowRunId);
    return output;
  };
}

const rawHello: RawWorkflow = async (context) => {
  const { name } = context.requestPayload as { name: string };
  const greeting = await context.run("greet", () => `Hello, ${name}!`);
  await context.run("note-time", () => new Date().toISOString());
  await context.sleep("wait-a-minute", 60);
  const farewell = await context.run("farewell", () => `Goodbye, ${name}.`);
  return { greeting, farewell };
};

interface Case {
  label: string;
  workflow: string;
  input: unknown;
  /** Virtual time to move past the workflow's sleeps. */
  advanceMs?: number;
}

type Flavor = "Overtime" | "Overtime, no budget" | "raw";

interface CostFigures {
  label: string;
  flavor: Flavor;
  finished: boolean;
  messages: number;
  byKind: Record<string, number>;
  invocations: number;
  qstashApiRequests: number;
  redisRequests: number;
  redisCommands: number;
  modelRequests: number;
  inputTokens: number;
  outputTokens: number;
  dollars: { qstash: number; redis: number; llm: number; total: number };
}

async function runCost(): Promise<BenchOutcome> {
  const cases: Case[] = [
    { label: "hello (3 steps + sleep)", workflow: "hello", input: { name: "Ada" }, advanceMs: 61_000 },
    { label: "agent (6 turns, 5 tool calls)", workflow: "agent", input: {} },
  ];
  const stack = await startBenchStack({
    tracked: [hello, trackedAgent],
    raw: { hello: finishing(rawHello), agent: finishing(rawAgent) },
  });
  setAgentProvider(stack.openai);
  const results: CostFigures[] = [];
  try {
    for (const c of cases) {
      results.push(await measureCost(stack, "Overtime", c));
      results.push(await measureCost(stack, "raw", c));
    }
  } finally {
    await stack.stop();
  }
  const jeeves = await measureJeeves();
  return outcome(results, jeeves);
}

async function measureCost(stack: BenchStack, flavor: CostFigures["flavor"], c: Case): Promise<CostFigures> {
  await stack.waitForIdle();
  const before = await counters(stack);
  const runId =
    flavor === "raw"
      ? await stack.startRaw(c.workflow, c.input)
      : await stack.startTracked(c.workflow, c.input);
  await stack.waitForIdle();
  if (c.advanceMs) await stack.advanceClock(c.advanceMs);
  const after = await counters(stack);
  const finished =
    flavor === "raw"
      ? rawFinished.has(runId)
      : (await stack.overtime.store.getRun(runId))?.status === "succeeded";
  return costFigures(c.label, flavor, finished, before, after);
}

async function counters(stack: BenchStack) {
  const [qstash, redis] = await Promise.all([stack.qstashStats(), stack.redisStats()]);
  return {
    qstash,
    redis,
    model: stack.dev.model.stats(),
    invocations: stack.totals().invocations,
    qstashApi: stack.meter.of(stack.dev.env.QSTASH_URL).requests,
  };
}

type Counters = Awaited<ReturnType<typeof counters>>;

function costFigures(
  label: string,
  flavor: CostFigures["flavor"],
  finished: boolean,
  before: Counters,
  after: Counters,
): CostFigures {
  const byKind = Object.fromEntries(
    Object.entries(after.qstash.byKind)
      .map(([kind, count]) => [kind, count - (before.qstash.byKind[kind] ?? 0)] as const)
      .filter(([, count]) => count > 0),
  );
  const messages = after.qstash.published - before.qstash.published;
  const redisCommands = after.redis.commands - before.redis.commands;
  const inputTokens = after.model.inputTokens - before.model.inputTokens;
  const outputTokens = after.model.outputTokens - before.model.outputTokens;
  const price = DEFAULT_PRICES.models["gpt-4o-mini"] ?? { inputPerMillion: 0, outputPerMillion: 0 };
  const dollars = {
    qstash: messages * DEFAULT_PRICES.qstashPerMessage,
    redis: redisCommands * DEFAULT_PRICES.redisPerCommand,
    llm: (inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1_000_000,
  };
  return {
    label,
    flavor,
    finished,
    messages,
    byKind,
    invocations: after.invocations - before.invocations,
    qstashApiRequests: after.qstashApi - before.qstashApi,
    redisRequests: after.redis.requests - before.redis.requests,
    redisCommands,
    modelRequests: after.model.requests - before.model.requests,
    inputTokens,
    outputTokens,
    dollars: { ...dollars, total: dollars.qstash + dollars.redis + dollars.llm },
  };
}

/** Generous enough never to wait: the bench counts cost, not throttling. */
const JEEVES_BUDGETS = { "gpt-4o-mini": { tokensPerMinute: 10_000_000, requestsPerMinute: 10_000 } };

/**
 * Jeeves three ways, each on a fresh stack with the same seeded streams (Jeeves only reports discoveries
 * it has not made before, so a second run on one stack would do less): through Overtime as deployed
 * (with the shared token budget), through Overtime with no budget configured, and as a raw `@upstash/workflow` route running the same Jeeves
 * steps (`runJeeves`) with a hand-written agent loop (`rawAgentLoop`).
 */
async function measureJeeves(): Promise<CostFigures[]> {
  const flavors: Flavor[] = ["Overtime", "Overtime, no budget", "raw"];
  const results: CostFigures[] = [];
  for (const flavor of flavors) results.push(await measureJeevesFlavor(flavor));
  return results;
}

async function measureJeevesFlavor(flavor: Flavor): Promise<CostFigures> {
  let stack: BenchStack | undefined;
  const deps: JeevesDependencies = {
    redis: () => (stack as BenchStack).overtime.config.redis,
    model: () => (stack as BenchStack).openai("gpt-4o-mini"),
  };
  const rawJeeves: RawWorkflow = (context) =>
    runJeeves(deps, context, context.workflowRunId, (question) =>
      rawAgentLoop(context, { ...question, model: deps.model() }),
    );
  stack = await startBenchStack(
    flavor === "raw"
      ? { raw: { jeeves: finishing(rawJeeves) } }
      : {
          tracked: [createJeevesWorkflow(deps)],
          ai: flavor === "Overtime" ? { budgets: JEEVES_BUDGETS } : {},
        },
  );
  try {
    await seedStreams(new RedisStreamStore(stack.overtime.config.redis));
    return await measureCost(stack, flavor, { label: "jeeves", workflow: "jeeves", input: {} });
  } finally {
    await stack.stop();
  }
}

/** What the three Jeeves rows say: the budget's share, then the bookkeeping's, of one run. */
function jeevesNote(jeeves: readonly CostFigures[]): string {
  const [budgeted, unbudgeted, raw] = jeeves as [CostFigures, CostFigures, CostFigures];
  const delta = (a: CostFigures, b: CostFigures) => ({
    messages: a.messages - b.messages,
    commands: a.redisCommands - b.redisCommands,
    dollars: a.dollars.total - b.dollars.total,
  });
  const budget = delta(budgeted, unbudgeted);
  const bookkeeping = delta(unbudgeted, raw);
  const share = (dollars: number) => `${Math.round((dollars / budgeted.dollars.total) * 100)}%`;
  return (
    "Jeeves: three rows, each on a fresh stack with the same seeded streams. The raw row is the same Jeeves " +
    "steps (`runJeeves` in workflows/jeeves.ts) served by the raw SDK, its agents on a hand-written loop " +
    "(`bench/support/raw-agent.ts`: one `context.run` per model turn and per tool call, as `runAgent` does). " +
    `Bookkeeping (Overtime without a budget − raw): ${bookkeeping.messages} QStash messages, ` +
    `${bookkeeping.commands} Redis commands = ${usd(bookkeeping.dollars)} per run (${share(bookkeeping.dollars)} of the deployed run). ` +
    `The shared token budget (Overtime as deployed − without a budget): ${budget.messages} QStash messages (each ` +
    `turn reserves and settles inside its own step) and ${budget.commands} Redis commands = ${usd(budget.dollars)} ` +
    `(${share(budget.dollars)}); it is what keeps concurrent runs under the provider's limits (see Budgets).`
  );
}

const usd = (dollars: number) => `$${dollars.toFixed(6)}`;

function outcome(results: readonly CostFigures[], jeeves: readonly CostFigures[]): BenchOutcome {
  const all = [...results, ...jeeves];
  const rows = all.map((r) => [
    r.label,
    r.flavor,
    r.finished ? "yes" : "**no**",
    `${r.messages} (${Object.entries(r.byKind)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(", ")})`,
    r.invocations,
    r.qstashApiRequests,
    r.redisRequests,
    r.redisCommands,
    `${r.inputTokens} / ${r.outputTokens}`,
    usd(r.dollars.qstash),
    usd(r.dollars.redis),
    usd(r.dollars.llm),
    usd(r.dollars.total),
  ]);
  const notes = [
    "Bookkeeping overhead = Overtime row − raw row: Redis requests/commands (tracking, run/step records, " +
      "events, indexes) and their dollars; QStash messages should be equal.",
    jeevesNote(jeeves),
  ];
  return {
    figures: {
      pricesAsOf: PRICES_AS_OF,
      prices: DEFAULT_PRICES,
      runs: all,
    },
    markdown: [
      table(
        [
          "workflow",
          "flavor",
          "finished",
          "QStash messages (by kind)",
          "invocations",
          "QStash API calls",
          "Redis requests",
          "Redis commands",
          "tokens in / out",
          "QStash $",
          "Redis $",
          "LLM $",
          "total $",
        ],
        rows,
      ),
      notes.join("\n\n"),
    ],
    targets: messageTargets(all),
  };
}

function messageTargets(results: readonly CostFigures[]) {
  const labels = [...new Set(results.map((r) => r.label))];
  return labels.map((label) => {
    const tracked =
      results.find((r) => r.label === label && r.flavor === "Overtime, no budget") ??
      results.find((r) => r.label === label && r.flavor === "Overtime");
    const raw = results.find((r) => r.label === label && r.flavor === "raw");
    const extra = (tracked?.messages ?? 0) - (raw?.messages ?? 0);
    return {
      target: `No bookkeeping messages beyond the workflow's own steps (${label})`,
      measured: `${tracked?.messages} messages with Overtime vs ${raw?.messages} raw; Redis ${tracked?.redisCommands} commands (${round((tracked?.dollars.redis ?? 0) * 1e6, 1)} µ$) vs ${raw?.redisCommands}`,
      met: extra <= 0,
      explanation: extra <= 0 ? undefined : `${extra} extra QStash messages per run`,
    };
  });
}
