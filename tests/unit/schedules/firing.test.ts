import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ValidationError } from "@/lib/http/errors";
import { isScheduleFiring, withScheduleFirings } from "@/lib/schedules/firing";
import type { StartOptions } from "@/lib/trigger/start";
import { defineWorkflow } from "@/lib/workflow/define";
import { createRegistry } from "@/lib/workflow/registry";

const registry = createRegistry([
  defineWorkflow({ name: "digest", input: z.object({ team: z.string() }), handler: async () => "ok" }),
]);

const firing = (body: string, headers: Record<string, string> = {}, path = "/api/workflows/digest") =>
  new Request(`http://app.test${path}`, {
    method: "POST",
    headers: {
      "overtime-source": "schedule",
      "upstash-schedule-id": "overtime-development-0123abcd-digest-hourly",
      "upstash-message-id": "msg_1",
      ...headers,
    },
    body,
  });

function harness() {
  const started: StartOptions[] = [];
  const served: Request[] = [];
  const handler = withScheduleFirings(
    async (request) => {
      served.push(request);
      return new Response("served");
    },
    {
      registry,
      start: async (options) => {
        const parsed = registry.get(options.workflow)?.input.safeParse(options.input);
        if (parsed && !parsed.success) throw ValidationError.fromZod(parsed.error, "input");
        started.push(options);
        return { runId: `wfr_${options.idempotencyKey}`, deduplicated: false };
      },
    },
  );
  return { handler, started, served };
}

describe("schedule firings", () => {
  it("are plain schedule messages forwarding Overtime-Source: schedule; workflow steps are not", () => {
    expect(isScheduleFiring(firing("{}"))).toBe(true);
    expect(isScheduleFiring(firing("{}", { "upstash-workflow-sdk-version": "1" }))).toBe(false);
    expect(isScheduleFiring(firing("{}", { "overtime-source": "api" }))).toBe(false);
    expect(isScheduleFiring(firing("{}", { "upstash-schedule-id": "" }))).toBe(false);
  });

  it("start a run with source schedule, deduplicated by QStash message id", async () => {
    const { handler, started, served } = harness();
    const response = await handler(firing(JSON.stringify({ team: "core" })));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ runId: "wfr_msg_1", deduplicated: false });
    expect(started).toEqual([
      {
        workflow: "digest",
        input: { team: "core" },
        source: "schedule",
        caller: "schedule:overtime-development-0123abcd-digest-hourly",
        idempotencyKey: "msg_1",
      },
    ]);
    expect(served).toHaveLength(0);
  });

  it("answer 489 (QStash: do not retry) for bad input, a non-JSON body or an unknown workflow", async () => {
    const { handler, started } = harness();
    for (const request of [
      firing(JSON.stringify({ team: 1 })),
      firing("not json"),
      firing("{}", {}, "/api/workflows/gone"),
    ]) {
      const response = await handler(request);
      expect(response.status).toBe(489);
      expect(response.headers.get("upstash-nonretryable-error")).toBe("true");
    }
    expect(started).toHaveLength(0);
  });

  it("leave every other request to the workflow endpoint", async () => {
    const { handler, served } = harness();
    await handler(firing("{}", { "upstash-workflow-runid": "wfr_1", "upstash-workflow-sdk-version": "1" }));
    expect(served).toHaveLength(1);
  });
});
