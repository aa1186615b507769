import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { runAgent } from "@/lib/ai";
import { priceTable } from "@/lib/cost/pricing";
import { defineWorkflow } from "@/lib/workflow/define";
import { hooks, model, research, researchTools, sideEffects, useProvider } from "./fixtures";

/** A small known run for the cost test: 2 turns, 1 tool call, 1 sleep. */
const costed = defineWorkflow({
  name: "costed",
  input: z.object({}),
  async handler(run) {
    const result = await runAgent(run, {
      name: "quick",
      model: model(),
      prompt: 'dev-model: call lookup {"topic": "cost"}\ndev-model: reply "done"',
      tools: { lookup: researchTools(run.runId).lookup },
    });
    await run.context.sleep("pause", 1);
    return result.text;
  },
});

const prices = priceTable({
  qstashPerMessage: 0.01,
  redisPerCommand: 0.001,
  models: { "gpt-4o-mini": { inputPerMillion: 1_000, outputPerMillion: 4_000 } },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [research, costed], ai: { prices } });
  useProvider(t.openai);
});
afterAll(async () => {
  await t?.stop();
});

const modelRequests = () => t.dev.model.stats().requests;

describe("runAgent", () => {
  it("runs a 6-turn tool-using agent inline and offloaded with identical results", async () => {
    const before = modelRequests();
    const inlineId = await t.trigger("research", { mode: "inline" });
    const offloadId = await t.trigger("research", { mode: "offload" });
    const inline = await t.waitForRun(inlineId);
    const offload = await t.waitForRun(offloadId);
    expect(inline.status).toBe("succeeded");
    expect(offload.status).toBe("succeeded");
    expect(offload.output).toEqual(inline.output);
    expect(modelRequests() - before).toBe(12);

    const output = inline.output as { turns: number; output: { summary: string }; toolResults: unknown[] };
    expect(output.turns).toBe(6);
    expect(output.output.summary).toContain("Based on 6 tool results");
    expect(output.toolResults).toHaveLength(6);
    expect(sideEffects.get(inlineId)).toEqual([
      "lookup:Research otters.",
      "tally",
      "lookup:diet",
      "lookup:habitat",
      "tally",
      "lookup:predators",
    ]);
    expect(sideEffects.get(offloadId)).toEqual(sideEffects.get(inlineId));

    const inlineSteps = (await t.getRun(inlineId)).steps;
    expect(inlineSteps.map((s) => s.name)).toEqual([
      "researcher:turn-1",
      "researcher:turn-1:lookup-1",
      "researcher:turn-1:tally-2",
      "researcher:turn-2",
      "researcher:turn-2:lookup-1",
      "researcher:turn-3",
      "researcher:turn-3:lookup-1",
      "researcher:turn-4",
      "researcher:turn-4:tally-1",
      "researcher:turn-5",
      "researcher:turn-5:lookup-1",
      "researcher:turn-6",
    ]);
    expect(inlineSteps.filter((s) => s.parallel).map((s) => s.name)).toEqual([
      "researcher:turn-1:lookup-1",
      "researcher:turn-1:tally-2",
    ]);
    const offloadSteps = (await t.getRun(offloadId)).steps;
    expect(offloadSteps.filter((s) => s.type === "call")).toHaveLength(6);
    const usage = (steps: typeof inlineSteps) => steps.flatMap((s) => (s.usage ? [s.usage] : []));
    expect(usage(offloadSteps)).toEqual(usage(inlineSteps));
  });

  it("resumes after the app dies between a tool step and the next turn, without repeating anything", async () => {
    let killed = false;
    hooks.afterTool = (runId, toolName) => {
      if (runId !== crashRun || killed || toolName !== "lookup") return;
      killed = true;
      t.killApp(); // this invocation finishes; the next delivery (turn 3) finds no app
    };
    const before = modelRequests();
    let crashRun = "";
    crashRun = await t.trigger("research", {
      mode: "inline",
      prompt: 'dev-model: call tally\ndev-model: call lookup {"topic": "crash"}\ndev-model: reply',
    });
    await t.waitForIdle(); // turn 3's delivery failed; QStash retries it later (virtual clock)
    expect(killed).toBe(true);
    expect((await t.overtime.store.getRun(crashRun))?.status).not.toBe("succeeded");
    expect(modelRequests() - before).toBe(2);
    hooks.afterTool = undefined;

    t.restartApp();
    await t.advanceTime(10_000);
    const run = await t.waitForRun(crashRun);
    expect(run.status).toBe("succeeded");
    expect(modelRequests() - before).toBe(3);
    expect(sideEffects.get(crashRun)).toEqual(["tally", "lookup:crash"]);
    const turn3 = (await t.getRun(crashRun)).steps.find((s) => s.name === "researcher:turn-3");
    expect(turn3?.attempt).toBe(2); // the delivery QStash retried
  });

  it("streams an inline turn's text deltas to the run's event channel", async () => {
    const runId = await t.trigger("research", {
      mode: "inline",
      stream: true,
      prompt: 'dev-model: reply "{\\"summary\\": \\"streamed word by word\\"}"',
    });
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    const events = await t.overtime.store.eventsSince(runId);
    const deltas = events.filter((e) => e.event === "agent.delta").map((e) => e.data);
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.map((d) => d.text).join("")).toBe((run.output as { text: string }).text);
    expect(deltas.map((d) => d.seq)).toEqual(deltas.map((_, i) => i));
    expect(deltas[0]).toMatchObject({ agent: "researcher", turn: 1, attempt: 1 });

    // A viewer attaching after the fact gets them from the channel's history.
    const response = await fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}/events`);
    const text = await response.text();
    expect(text).toContain("event: agent.delta");
  });

  it("answers a provider 429 with a durable sleep, then completes (inline and offload)", async () => {
    for (const mode of ["inline", "offload"] as const) {
      const before = t.dev.model.stats();
      t.dev.model.setFaults({ status: 429, retryAfterMs: 30_000, times: 1 });
      const runId = await t.trigger("research", { mode, prompt: "dev-model: reply" });
      await t.waitForRun(runId, { status: "sleeping" });
      await t.advanceTime(31_000);
      const run = await t.waitForRun(runId);
      expect(run.status).toBe("succeeded");
      const after = t.dev.model.stats();
      expect(after.rateLimited - before.rateLimited).toBe(1);
      expect(after.requests - before.requests).toBe(2);
      const names = (await t.getRun(runId)).steps.map((s) => s.name);
      expect(names).toEqual([
        "researcher:turn-1",
        "researcher:turn-1:rate-limited-1",
        "researcher:turn-1:attempt-2",
      ]);
    }
  });

  it("puts cost figures on the run that equal hand-computed ones", async () => {
    await t.waitForIdle();
    const redisBefore = await redisCommands();
    const modelBefore = t.dev.model.stats();
    const runId = await t.trigger("costed", {});
    await t.advanceTime(2_000); // past the sleep; waits for quiet without reading Redis
    const redisAfter = await redisCommands();
    const modelAfter = t.dev.model.stats();

    const response = await fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}`);
    const body = (await response.json()) as {
      run: { status: string; cost: CostShape; usage: unknown; redisCommands: number };
      steps: Array<{ name: string; cost: { messages: number; dollars: number } }>;
    };
    expect(body.run.status).toBe("succeeded");
    const cost = body.run.cost;
    // trigger 1 + turn-1 1 + lookup 1 + turn-2 1 + sleep 1
    expect(cost.messages).toEqual({ total: 5, byKind: { trigger: 1, run: 3, sleep: 1 } });
    const input = modelAfter.inputTokens - modelBefore.inputTokens;
    const output = modelAfter.outputTokens - modelBefore.outputTokens;
    expect(cost.tokens).toMatchObject({ input, output });
    // What the Redis REST stand-in counted, minus the trigger's two writes (run record + event).
    const triggerCommands = 2;
    expect(cost.redisCommands).toBe(redisAfter - redisBefore - triggerCommands);
    const dollars = {
      qstash: 5 * 0.01,
      redis: cost.redisCommands * 0.001,
      llm: (input * 1_000 + output * 4_000) / 1_000_000,
    };
    expect(cost.dollars.qstash).toBeCloseTo(dollars.qstash, 10);
    expect(cost.dollars.redis).toBeCloseTo(dollars.redis, 10);
    expect(cost.dollars.llm).toBeCloseTo(dollars.llm, 10);
    expect(cost.dollars.total).toBeCloseTo(dollars.qstash + dollars.redis + dollars.llm, 10);
    const turn1 = body.steps.find((s) => s.name === "quick:turn-1");
    expect(turn1?.cost.messages).toBe(1);
    expect(body.run.usage).toEqual({ inputTokens: input, outputTokens: output });
  });
});

interface CostShape {
  messages: { total: number; byKind: Record<string, number> };
  redisCommands: number;
  tokens: { input: number; output: number };
  dollars: { qstash: number; redis: number; llm: number; total: number };
}

async function redisCommands(): Promise<number> {
  const response = await fetch(`${t.dev.env.UPSTASH_REDIS_REST_URL}/__dev/stats`, {
    headers: { authorization: `Bearer ${t.dev.env.UPSTASH_REDIS_REST_TOKEN}` },
  });
  return ((await response.json()) as { commands: number }).commands;
}
