import type { Redis } from "@upstash/redis";
import type { WorkflowContext } from "@upstash/workflow";
import type { LanguageModel, ToolSet } from "ai";
import { defineWorkflow } from "overtime";
import { runAgent } from "overtime/ai";
import { z } from "zod";
import { Inbox } from "@/app/_lib/inbox";
import {
  agentTools,
  combineDiscoveries,
  createAnalyses,
  DiscoveryStore,
  type JeevesConfig,
  loadJeevesConfig,
  type Persona,
  type StoredDiscovery,
} from "@/app/_lib/jeeves";
import { defaultModel } from "@/app/_lib/models";
import { redis as appRedis } from "@/app/_lib/redis";
import { RedisStreamStore } from "@/app/_lib/streams/redis-store";
import type { StreamStore } from "@/app/_lib/streams/types";

export interface JeevesDependencies {
  redis: () => Redis;
  model: () => LanguageModel;
  /** Where the series live; the Redis stream store by default. */
  streams?: () => StreamStore;
}

const output = z.discriminatedUnion("status", [
  z.object({ status: z.literal("disabled"), reason: z.string() }),
  z.object({
    status: z.literal("completed"),
    streams: z.array(z.string()),
    discoveries: z.array(z.string()),
    newDiscoveries: z.array(z.string()),
    notified: z.array(
      z.object({ persona: z.string(), inbox: z.boolean(), webhookStatus: z.number().optional() }),
    ),
  }),
]);
type JeevesOutput = z.infer<typeof output>;

const SYSTEM =
  "You are Jeeves, a discreet analyst of time series. Cite only figures that tools returned, with units. " +
  "Be brief: two or three sentences.";

/** Per model call: Jeeves shares the model budget with every other run, under its own tenant. */
const BUDGET = { tenant: "jeeves", reserveOutputTokens: 400 } as const;

/** One question to one of Jeeves's agents (a durable tool-using loop). */
export interface JeevesQuestion {
  name: string;
  system: string;
  prompt: string;
  tools: ToolSet;
  maxTurns: number;
}

/** What Jeeves reads back from an agent: its last text and the results of the tools it called. */
export interface JeevesAnswer {
  text: string;
  toolResults: Array<{ toolName: string; output: unknown }>;
}

/** Runs an agent; `runAgent` in the workflow (the benchmark's raw twin passes a hand-written loop). */
export type JeevesAgent = (question: JeevesQuestion) => Promise<JeevesAnswer>;

/**
 * Jeeves: every 5 minutes, looks at the monitored streams, computes statistics, anomalies, correlations
 * and seasonality with the stream tools, keeps the discoveries it has not made before and tells the
 * personas. The figures come from the tools (deterministic steps); the agents explore and write prose.
 */
export function createJeevesWorkflow(deps: JeevesDependencies) {
  return defineWorkflow({
    name: "jeeves",
    description:
      "Stream discovery analysis: statistics, anomalies, correlations and seasonality, every 5 minutes.",
    input: z.object({}).default({}),
    output,
    schedules: [{ id: "every-5-minutes", cron: "*/5 * * * *", input: {} }],
    handler: (run) =>
      runJeeves(deps, run.context, run.runId, (question) =>
        runAgent(run, { ...question, model: deps.model(), budget: BUDGET }),
      ),
  });
}

/** Jeeves's steps on any workflow context; `agent` runs the three agents. */
export async function runJeeves(
  deps: JeevesDependencies,
  context: WorkflowContext<unknown>,
  runId: string,
  agent: JeevesAgent,
): Promise<JeevesOutput> {
  const config = await context.run("load-state", () => loadJeevesConfig(deps.redis()));
  if (!config.enabled) {
    return {
      status: "disabled",
      reason: config.disabledReason ?? "Jeeves is turned off in its configuration.",
    };
  }
  const analyses = createAnalyses(deps.streams?.() ?? new RedisStreamStore(deps.redis()));
  const ask = (name: string, prompt: string, tools: Parameters<typeof agentTools>[1] = []) =>
    agent({ name, system: SYSTEM, prompt, tools: agentTools(analyses.tools, tools), maxTurns: 3 });

  // Phase 1: which of the monitored streams exist, and what they hold.
  const quoted = config.streams.map((s) => JSON.stringify(s)).join(", ");
  const discovery = await ask(
    "discovery",
    `Monitored streams: ${quoted}. Use listStreams to see which exist and recentData for their latest values, then say what is worth analysing.`,
    ["listStreams", "recentData"],
  );
  const catalog = await streamCatalog(context, discovery.toolResults, () =>
    analyses.tools.listStreams.execute({}),
  );
  const streams = config.streams.filter((id) => catalog.some((s) => s.id === id));
  const window = config.window ?? {};

  // Phase 2: per-stream statistics, trend and anomalies, in parallel; the agent summarizes them.
  const perStream = await Promise.all(
    streams.map((stream) => context.run(`analyze:${stream}`, () => analyses.analyzeStream(stream, window))),
  );
  const statistics = await ask(
    "statistics",
    `Summarize these per-stream figures for a busy reader:\n${JSON.stringify(perStream)}`,
  );

  // Phase 3: relations between streams and seasonal cycles; the agent may dig further with tools.
  const [correlations, ...seasonality] = await Promise.all([
    context.run("correlations", () => analyses.correlations(streams, window)),
    ...streams.map((stream) => context.run(`seasonality:${stream}`, () => analyses.seasonality(stream))),
  ]);
  const patterns = await ask(
    "patterns",
    `Correlations: ${JSON.stringify(correlations)}\nSeasonality: ${JSON.stringify(seasonality)}\n` +
      `Use correlation, patterns or anomalies on ${quoted} if something needs checking, then name the strongest pattern.`,
    ["correlation", "patterns", "anomalies"],
  );

  const found = await context.run("combine-discoveries", () =>
    combineDiscoveries({
      analyses: perStream,
      correlations: correlations as Awaited<ReturnType<typeof analyses.correlations>>,
      seasonality: seasonality as Array<Awaited<ReturnType<typeof analyses.seasonality>>>,
      window,
      units: Object.fromEntries(catalog.map((s) => [s.id, s.unit])),
      narratives: { statistics: statistics.text, patterns: patterns.text },
    }),
  );
  const fresh = await context.run("save-discoveries", () =>
    new DiscoveryStore(deps.redis()).save(found, runId),
  );
  const notified = await notifyPersonas(context, deps.redis, config, fresh, runId);
  return {
    status: "completed",
    streams,
    discoveries: found.map((d) => d.id),
    newDiscoveries: fresh.map((d) => d.id),
    notified,
  };
}

type Catalog = Array<{ id: string; unit?: string }>;

/** The listStreams result the agent fetched; if it did not call it, a step fetches it. */
async function streamCatalog(
  context: WorkflowContext<unknown>,
  toolResults: Array<{ toolName: string; output: unknown }>,
  list: () => Promise<Catalog>,
): Promise<Catalog> {
  const listed = toolResults.find((r) => r.toolName === "listStreams" && Array.isArray(r.output));
  return listed ? (listed.output as Catalog) : context.run("list-streams", list);
}

/** In-app inbox for every persona with news (parallel steps), then each webhook through `context.call`. */
async function notifyPersonas(
  context: WorkflowContext<unknown>,
  redis: () => Redis,
  config: JeevesConfig,
  fresh: StoredDiscovery[],
  runId: string,
) {
  const audience = config.personas
    .map((persona) => ({ persona, news: fresh.filter((d) => interests(persona, d)) }))
    .filter(({ news }) => news.length > 0);
  await Promise.all(
    audience.map(({ persona, news }) =>
      context.run(`notify-inbox:${persona.id}`, async () => {
        await new Inbox(redis()).send(persona.id, {
          id: `jeeves:${runId}`,
          kind: "discovery",
          subject: `Jeeves: ${news.length} new discover${news.length === 1 ? "y" : "ies"}`,
          body: news.map((d) => `• ${d.title}`).join("\n"),
          data: { runId, discoveryIds: news.map((d) => d.id) },
        });
        return true;
      }),
    ),
  );
  const hooked = audience.filter(({ persona }) => persona.webhookUrl);
  const responses = await Promise.all(
    hooked.map(({ persona, news }) =>
      context.call(`notify-webhook:${persona.id}`, {
        url: persona.webhookUrl as string,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ runId, persona: persona.id, discoveries: news }),
        retries: 2,
        timeout: 30,
      }),
    ),
  );
  return audience.map(({ persona }) => {
    const index = hooked.findIndex((h) => h.persona.id === persona.id);
    return {
      persona: persona.id,
      inbox: true,
      ...(index >= 0 && { webhookStatus: responses[index]?.status }),
    };
  });
}

function interests(persona: Persona, d: StoredDiscovery): boolean {
  return !persona.streams || d.streams.some((s) => persona.streams?.includes(s));
}

export const jeeves = createJeevesWorkflow({ redis: appRedis, model: () => defaultModel() });
