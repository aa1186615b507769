import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "@/dev/testing";
import { createResearchWorkflow, type ResearchTask, researchTasks } from "@/workflows/research";

let t: TestStack;
const redis = () => t.overtime.config.redis;
const research = createResearchWorkflow({ redis, model: () => t.openai("gpt-4o-mini") });

/** Sources served locally: each answer takes 150 ms of real time, so overlapping fetches show. */
const inFlight = { total: 0, byAgent: new Map<string, number>() };
const peak = { total: 0, byAgent: new Map<string, number>() };
const hits = new Map<string, number>();
let sources: Server;
let base: string;

function enter(agent: string) {
  inFlight.total++;
  inFlight.byAgent.set(agent, (inFlight.byAgent.get(agent) ?? 0) + 1);
  peak.total = Math.max(peak.total, inFlight.total);
  peak.byAgent.set(agent, Math.max(peak.byAgent.get(agent) ?? 0, inFlight.byAgent.get(agent) ?? 0));
}
function leave(agent: string) {
  inFlight.total--;
  inFlight.byAgent.set(agent, (inFlight.byAgent.get(agent) ?? 1) - 1);
}

/** Longer than the one-second task timeout of the timeout test. */
const SLOW_PAGE_MS = 3_000;

beforeAll(async () => {
  sources = createServer((req, res) => {
    const [, agent = "", page = ""] = (req.url ?? "").split("/");
    const hit = (hits.get(req.url ?? "") ?? 0) + 1;
    hits.set(req.url ?? "", hit);
    enter(agent);
    setTimeout(
      () => {
        leave(agent);
        if (page === "broken" || (page === "flaky" && hit === 1)) {
          res.statusCode = page === "broken" ? 500 : 503;
          res.end("unavailable");
          return;
        }
        res.setHeader("content-type", "text/plain");
        res.end(`Page ${page} from ${agent}: otters eat 15% of their body weight a day.`);
      },
      page === "slow" ? SLOW_PAGE_MS : 150,
    );
  });
  await new Promise<void>((resolve) => sources.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(sources.address() as AddressInfo).port}`;
  t = await createTestStack({ workflows: [research] });
});
afterAll(async () => {
  await t?.stop();
  await new Promise((resolve) => sources?.close(resolve));
});

/** Waits for the run, moving the clock past QStash's retry backoff. */
async function finish(runId: string) {
  for (let i = 0; i < 20; i++) {
    const { run } = await t.getRun(runId);
    if (run && ["succeeded", "failed"].includes(run.status)) break;
    await t.advanceTime(60_000);
  }
  return t.waitForRun(runId);
}

describe("research", () => {
  it("fetches every source under the global and per-agent limits, retries, then compares", async () => {
    const pages = ["a/1", "a/2", "a/3", "a/flaky", "b/1", "b/2", "b/broken"];
    const runId = await t.trigger("research", {
      question: "How much do otters eat?",
      sources: pages.map((page) => ({ url: `${base}/${page}`, agent: page.split("/")[0] })),
      maxConcurrent: 4,
      maxPerAgent: 2,
      taskRetries: 2,
    });
    const run = await finish(runId);
    expect(run.status).toBe("succeeded");
    const output = run.output as { tasks: ResearchTask[]; comparison: string };

    expect(output.tasks.map((task) => [task.id, task.state, task.status])).toEqual([
      ["task-1", "done", 200],
      ["task-2", "done", 200],
      ["task-3", "done", 200],
      ["task-4", "done", 200], // 503 once, then QStash's retry succeeded
      ["task-5", "done", 200],
      ["task-6", "done", 200],
      ["task-7", "failed", 500], // every retry failed: recorded, never dropped
    ]);
    expect(output.tasks[0]?.summary).toContain("otters eat 15%");
    expect(hits.get("/a/flaky")).toBe(2);
    expect(hits.get("/b/broken")).toBe(3);
    expect(peak.byAgent.get("a")).toBe(2); // four "a" tasks in wave 1: flow control held two back
    expect(peak.byAgent.get("b")).toBeLessThanOrEqual(2);
    expect(peak.total).toBeLessThanOrEqual(4);
    expect(peak.total).toBeGreaterThan(1); // it does fan out
    expect(output.comparison).toContain("otters eat 15%");

    // The task list on the run: the same states in Redis, and each change on the event channel.
    expect((await researchTasks(redis(), runId)).map((task) => task.state)).toEqual([
      ...Array(6).fill("done"),
      "failed",
    ]);
    const names = (await t.getRun(runId)).steps.map((step) => step.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "queue-tasks",
        "start-wave-1",
        "start-wave-2",
        "fetch:task-7",
        "summarize:task-7",
        "compare:turn-1",
      ]),
    );
  });
  it("fails a task that outlives its timeout, keeps it on the list, and still compares the rest", async () => {
    const runId = await t.trigger("research", {
      question: "How much do otters eat?",
      sources: [
        { url: `${base}/c/1`, agent: "c" },
        { url: `${base}/c/slow`, agent: "c" },
      ],
      taskTimeoutSeconds: 1,
      taskRetries: 0,
    });
    const run = await finish(runId);
    expect(run.status).toBe("succeeded");
    const output = run.output as { tasks: ResearchTask[]; comparison: string };
    expect(output.tasks.map((task) => [task.id, task.state])).toEqual([
      ["task-1", "done"],
      ["task-2", "failed"],
    ]);
    expect(output.tasks[1]?.status).not.toBe(200);
    expect(hits.get("/c/slow")).toBe(1);
    expect(output.comparison).toContain("unavailable");
  });
});
