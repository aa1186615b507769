import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDiscoveriesResponse } from "@/app/_lib/discoveries-http";
import { Inbox } from "@/app/_lib/inbox";
import { DiscoveryStore, type StoredDiscovery, saveJeevesConfig } from "@/app/_lib/jeeves";
import { RedisStreamStore } from "@/app/_lib/streams/redis-store";
import { seedStreams } from "@/app/_lib/streams/seed";
import { createTestStack, type TestStack } from "@/dev/testing";
import { createJeevesWorkflow } from "@/workflows/jeeves";

let t: TestStack;
const redis = () => t.overtime.config.redis;
const jeeves = createJeevesWorkflow({ redis, model: () => t.openai("gpt-4o-mini") });

/** The analyst's webhook: records every POST. */
const received: Array<{ persona: string; discoveries: StoredDiscovery[] }> = [];
let hook: Server;
let hookUrl: string;

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push(JSON.parse(body));
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  t = await createTestStack({
    workflows: [jeeves],
    ai: { budgets: { "gpt-4o-mini": { tokensPerMinute: 10_000_000, requestsPerMinute: 10_000 } } },
  });
  await seedStreams(new RedisStreamStore(redis()));
});
afterAll(async () => {
  await t?.stop();
  await new Promise((resolve) => hook?.close(resolve));
});

const configure = (enabled: boolean, disabledReason?: string) =>
  saveJeevesConfig(redis(), {
    enabled,
    disabledReason,
    streams: ["seattle.temp_max", "seattle.temp_min", "seattle.precipitation", "no.such.stream"],
    window: { from: "2012-01-01", to: "2012-12-31" },
    personas: [
      { id: "ops", name: "Ops", streams: ["seattle.precipitation"] },
      { id: "analyst", name: "Analyst", webhookUrl: hookUrl },
    ],
  });

const find = (list: StoredDiscovery[], kind: string, stream: string) =>
  list.find((d) => d.kind === kind && d.streams[0] === stream) as StoredDiscovery;

describe("jeeves", () => {
  it("declares its 5-minute schedule", () => {
    expect(jeeves.schedules).toEqual([{ id: "every-5-minutes", cron: "*/5 * * * *", input: {} }]);
  });

  it("discovers, saves and notifies with the figures the stream tools compute", async () => {
    await configure(true);
    const runId = await t.trigger("jeeves", {});
    const run = await t.waitForRun(runId, { timeoutMs: 40_000 });
    expect(run.status).toBe("succeeded");
    const output = run.output as {
      status: string;
      streams: string[];
      newDiscoveries: string[];
      notified: unknown[];
    };
    expect(output.status).toBe("completed");
    expect(output.streams).toEqual(["seattle.temp_max", "seattle.temp_min", "seattle.precipitation"]);

    const saved = await new DiscoveryStore(redis()).list();
    expect(saved.map((d) => d.id).sort()).toEqual([...output.newDiscoveries].sort());
    // The same figures as tests/unit/streams/tools.test.ts (computed there independently with Python).
    const stats = find(saved, "statistics", "seattle.temp_max");
    expect(stats.figures).toMatchObject({ count: 366, min: -1.1, max: 34.4 });
    expect(stats.figures.mean).toBeCloseTo(15.276775956284153, 10);
    expect(stats.figures.sd).toBeCloseTo(7.079976123252908, 10);
    expect(stats.title).toBe(
      "seattle.temp_max: mean 15.28 °C (sd 7.08, min -1.1, max 34.4, n=366), 2012-01-01 to 2012-12-31",
    );
    const rain = find(saved, "anomalies", "seattle.precipitation");
    expect(rain.figures).toMatchObject({ total: 8, largestAt: "2012-11-19T00:00:00.000Z" });
    expect(rain.figures.largestZ).toBeCloseTo(7.820411192215401, 10);
    const pair = saved.find(
      (d) => d.kind === "correlation" && d.streams.join() === "seattle.temp_max,seattle.temp_min",
    );
    expect(pair?.figures.n).toBe(366);
    expect(pair?.figures.r).toBeCloseTo(0.8647806266676656, 12);
    const cycle = find(saved, "seasonality", "seattle.temp_max");
    expect(cycle.figures).toMatchObject({ lag: 360, periodDays: 360 });
    expect(cycle.figures.strength).toBeCloseTo(0.608445021327427, 10);
    expect(saved.some((d) => d.kind === "trend")).toBe(false); // 2012's r² is 0.047: not noteworthy
    expect(stats.narrative.length).toBeGreaterThan(0);

    const { steps } = await t.getRun(runId);
    const names = steps.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "load-state",
        "discovery:turn-1",
        "analyze:seattle.temp_max",
        "seasonality:seattle.precipitation",
        "correlations",
        "statistics:turn-1",
        "patterns:turn-1",
        "combine-discoveries",
        "save-discoveries",
        "notify-inbox:ops",
        "notify-inbox:analyst",
        "notify-webhook:analyst",
      ]),
    );
    expect(steps.find((s) => s.name === "analyze:seattle.temp_max")?.parallel).toBeTruthy();
    expect(names).toContain("discovery:turn-1:listStreams-1"); // the catalog came from the agent's call
    expect(names).not.toContain("list-streams");

    expect(output.notified).toEqual([
      { persona: "ops", inbox: true },
      { persona: "analyst", inbox: true, webhookStatus: 200 },
    ]);
    const opsInbox = await new Inbox(redis()).list("ops");
    expect(opsInbox).toHaveLength(1);
    expect(opsInbox[0]?.body).toContain("seattle.precipitation: 8 points with |z| ≥ 3");
    expect(received).toHaveLength(1);
    expect(received[0]?.discoveries).toHaveLength(output.newDiscoveries.length);

    const response = await listDiscoveriesResponse(
      new Request("http://app/api/discoveries?kind=seasonality"),
      redis(),
    );
    const body = (await response.json()) as { discoveries: StoredDiscovery[] };
    expect(body.discoveries.map((d) => d.streams[0]).sort()).toEqual(
      saved
        .filter((d) => d.kind === "seasonality")
        .map((d) => d.streams[0])
        .sort(),
    );
  });

  it("saves nothing twice: a second run finds the same discoveries and notifies no one", async () => {
    const runId = await t.trigger("jeeves", {});
    const run = await t.waitForRun(runId, { timeoutMs: 40_000 });
    expect(run.output).toMatchObject({ status: "completed", newDiscoveries: [], notified: [] });
    expect((run.output as { discoveries: string[] }).discoveries.length).toBeGreaterThan(5);
    expect(received).toHaveLength(1);
    expect(await new Inbox(redis()).list("ops")).toHaveLength(1);
  });

  it("ends cleanly with a reason when turned off", async () => {
    await configure(false, "paused for maintenance");
    const runId = await t.trigger("jeeves", {});
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({ status: "disabled", reason: "paused for maintenance" });
    expect((await t.getRun(runId)).steps.map((s) => s.name)).toEqual(["load-state"]);
  });

  it("rejects a bad query", async () => {
    const response = await listDiscoveriesResponse(
      new Request("http://app/api/discoveries?limit=0"),
      redis(),
    );
    expect(response.status).toBe(400);
  });
});
