import type { Schedule } from "@upstash/qstash";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatPlan } from "@/lib/schedules/format";
import {
  type DesiredSchedule,
  desiredSchedules,
  planSchedules,
  ScheduleDeclarationError,
  scheduleChanges,
} from "@/lib/schedules/plan";
import {
  checkedScope,
  parseOwnedId,
  type ScheduleScope,
  ScheduleScopeError,
  scheduleIdFor,
  scopeFromEnv,
  scopeTag,
  urlHash,
} from "@/lib/schedules/scope";
import { type AnyWorkflow, defineWorkflow, type ScheduleSpec } from "@/lib/workflow/define";

const local: ScheduleScope = { environment: "development", baseUrl: "http://127.0.0.1:3000" };
const production: ScheduleScope = { environment: "production", baseUrl: "https://app.example.com" };

const report = (schedules: ScheduleSpec<{ team: string; limit?: number }>[]) =>
  defineWorkflow({
    name: "report",
    input: z.object({ team: z.string().min(1), limit: z.number().int().optional() }),
    schedules,
    handler: async () => "ok",
  });

const hourly = { id: "hourly", cron: "0 * * * *", input: { team: "core" } };

/** What QStash (and the stand-in) answers for a schedule created from `desired`. */
function asQStash(desired: DesiredSchedule, overrides: Partial<Schedule> = {}): Schedule {
  const request = desired.request;
  return {
    scheduleId: desired.scheduleId,
    cron: request.cron,
    createdAt: 1,
    destination: request.destination,
    method: "POST",
    header: { "Content-Type": ["application/json"], "Overtime-Source": ["schedule"] },
    body: request.body,
    retries: request.retries,
    labels: [...request.label],
    isPaused: false,
    ...overrides,
  };
}

function external(scheduleId: string): Schedule {
  return {
    scheduleId,
    cron: "0 0 * * *",
    createdAt: 1,
    destination: "https://elsewhere.example.com/hook",
    method: "POST",
    retries: 3,
    isPaused: false,
  };
}

describe("schedule ids", () => {
  it("are deterministic and scoped by environment and base URL", () => {
    const id = scheduleIdFor(local, "report", "hourly");
    expect(id).toBe(`overtime-development-${urlHash(local.baseUrl)}-report-hourly`);
    expect(scheduleIdFor(local, "report", "hourly")).toBe(id);
    expect(scheduleIdFor({ ...local, environment: "preview" }, "report", "hourly")).not.toBe(id);
    expect(scheduleIdFor({ ...local, baseUrl: "http://127.0.0.1:3001" }, "report", "hourly")).not.toBe(id);
    expect(id).toMatch(/^[a-zA-Z0-9_.-]+$/);
    expect(parseOwnedId(id)).toEqual({ environment: "development", urlHash: urlHash(local.baseUrl) });
    expect(parseOwnedId("my-own-schedule")).toBeUndefined();
  });

  it("ignore a trailing slash and the case of the host", () => {
    expect(urlHash("https://App.example.com/")).toBe(urlHash("https://app.example.com"));
    expect(urlHash("https://app.example.com")).not.toBe(urlHash("http://app.example.com"));
  });
});

describe("scope", () => {
  it("comes from OVERTIME_ENV, else VERCEL_ENV, else development; base URL as the app's", () => {
    expect(scopeFromEnv({ VERCEL_ENV: "preview", VERCEL_URL: "x.vercel.app" })).toEqual({
      environment: "preview",
      baseUrl: "https://x.vercel.app",
    });
    expect(
      scopeFromEnv({
        OVERTIME_ENV: "staging",
        VERCEL_ENV: "production",
        UPSTASH_WORKFLOW_URL: "https://s.io",
      }),
    ).toEqual({ environment: "staging", baseUrl: "https://s.io" });
    expect(scopeFromEnv({}).environment).toBe("development");
  });

  it("refuses production schedules pointing at a local address, and odd environment names", () => {
    expect(() => checkedScope({ environment: "production", baseUrl: "http://127.0.0.1:3000" })).toThrow(
      ScheduleScopeError,
    );
    expect(() => checkedScope({ environment: "production", baseUrl: "http://localhost:3000" })).toThrow(
      /Refusing to sync production/,
    );
    expect(() => checkedScope({ environment: "Prod-1", baseUrl: "https://a.io" })).toThrow(/lower-case/);
    expect(checkedScope(production)).toEqual(production);
  });
});

describe("desiredSchedules", () => {
  it("targets the workflow endpoint with the input as JSON and the schedule source header", () => {
    const [desired] = desiredSchedules([report([{ ...hourly, timezone: "Europe/Berlin" }])], production);
    expect(desired).toMatchObject({
      scheduleId: scheduleIdFor(production, "report", "hourly"),
      workflow: "report",
      declaredId: "hourly",
      request: {
        destination: "https://app.example.com/api/workflows/report",
        cron: "CRON_TZ=Europe/Berlin 0 * * * *",
        body: JSON.stringify({ team: "core" }),
        retries: 3,
      },
    });
    expect(desired?.request.headers["overtime-source"]).toBe("schedule");
  });

  it("honours workflowsPath; a cron without timezone is UTC; the firing has fixed retries", () => {
    const workflow = defineWorkflow({ ...report([hourly]), retries: 0 });
    const [desired] = desiredSchedules([workflow], production, { workflowsPath: "/wf" });
    expect(desired?.request).toMatchObject({
      destination: "https://app.example.com/wf/report",
      cron: "0 * * * *",
      retries: 3,
    });
  });

  it("rejects declared input that fails the workflow's schema, naming workflow, schedule and field", () => {
    const bad = report([{ id: "broken", cron: "0 * * * *", input: { team: "" } }]);
    const error = catchError(() => desiredSchedules([bad], local));
    expect(error).toBeInstanceOf(ScheduleDeclarationError);
    expect(error.message).toContain('Workflow "report", schedule "broken"');
    expect(error.message).toContain("team");
    expect((error as ScheduleDeclarationError).issues[0]?.path).toBe("team");
  });

  it("rejects a bad timezone, a malformed cron, a CRON_TZ inside the cron and an odd id", () => {
    const cases: Array<[ScheduleSpec<{ team: string }>, RegExp]> = [
      [{ ...hourly, timezone: "Mars/Olympus" }, /not an IANA timezone/],
      [{ ...hourly, cron: "0 * * *" }, /5 fields/],
      [{ ...hourly, cron: "CRON_TZ=UTC 0 * * * *" }, /put the timezone in "timezone"/],
      [{ ...hourly, id: "has space" }, /the id must be/],
    ];
    for (const [spec, message] of cases) {
      expect(() => desiredSchedules([report([spec])], local)).toThrow(message);
    }
  });
});

describe("planSchedules", () => {
  const workflows: AnyWorkflow[] = [
    report([hourly, { id: "daily", cron: "0 9 * * *", input: { team: "x" } }]),
  ];
  const desired = desiredSchedules(workflows, local);
  const [daily, hourlyDesired] = desired.toSorted((a, b) => a.scheduleId.localeCompare(b.scheduleId));

  it("creates what is missing and leaves identical ones unchanged", () => {
    const plan = planSchedules(desired, [asQStash(hourlyDesired as DesiredSchedule)], local);
    expect(plan.create.map((d) => d.declaredId)).toEqual(["daily"]);
    expect(plan.unchanged.map((u) => u.desired.declaredId)).toEqual(["hourly"]);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
  });

  it("sees no change in JSON key order, whitespace in cron, or headers reported with the forward prefix", () => {
    const want = hourlyDesired as DesiredSchedule;
    const current = asQStash(want, {
      cron: " 0  *  * * * ",
      body: '{ "team" : "core" }',
      header: { "Upstash-Forward-Overtime-Source": ["schedule"] },
    });
    expect(scheduleChanges(want, current)).toEqual([]);
  });

  it("updates on cron, timezone, body, destination, headers, retries or callbacks drift", () => {
    const want = hourlyDesired as DesiredSchedule;
    const drifted = asQStash(want, {
      cron: "CRON_TZ=UTC 0 * * * *",
      body: JSON.stringify({ team: "other" }),
      destination: "https://elsewhere.example.com/api/workflows/report",
      header: { "Overtime-Source": ["api"], "X-Extra": ["1"] },
      retries: 0,
      callback: "https://cb.example.com",
      labels: ["overtime"],
    });
    const fields = scheduleChanges(want, drifted).map((c) => c.field);
    expect(fields).toEqual(["destination", "cron", "body", "headers", "labels", "retries", "callback"]);
    const plan = planSchedules([want], [drifted], local);
    expect(plan.update[0]?.changes.find((c) => c.field === "cron")).toEqual({
      field: "cron",
      from: "CRON_TZ=UTC 0 * * * *",
      to: "0 * * * *",
    });
  });

  it("labels every schedule overtime, env-<environment>, workflow-<name>; an unlabelled copy is drift", () => {
    const want = hourlyDesired as DesiredSchedule;
    expect(want.request.label).toEqual(["overtime", "env-development", "workflow-report"]);
    const unlabelled = asQStash(want, { labels: undefined });
    expect(scheduleChanges(want, unlabelled)).toEqual([
      { field: "labels", from: [], to: ["env-development", "overtime", "workflow-report"] },
    ]);
    // QStash's legacy single `label` is read too; label order does not matter.
    const reordered = asQStash(want, { labels: [...want.request.label].reverse() });
    expect(scheduleChanges(want, reordered)).toEqual([]);
  });

  it("forwards delivery headers on firings, comparing and showing secrets only as hashes", () => {
    const secret = { "x-vercel-protection-bypass": "s3cret-value-0123456789" };
    const [want] = desiredSchedules([report([hourly])], local, { deliveryHeaders: secret });
    if (!want) throw new Error("no schedule");
    expect(want.request.headers).toMatchObject(secret);
    const header = { "Content-Type": ["application/json"], "Overtime-Source": ["schedule"] };
    const same = asQStash(want, {
      header: { ...header, "X-Vercel-Protection-Bypass": [secret["x-vercel-protection-bypass"]] },
    });
    expect(scheduleChanges(want, same)).toEqual([]);
    const rotated = asQStash(want, { header: { ...header, "X-Vercel-Protection-Bypass": ["old-secret"] } });
    const [change] = scheduleChanges(want, rotated);
    expect(change?.field).toBe("headers");
    expect(JSON.stringify(change)).not.toContain("s3cret");
    expect(JSON.stringify(change)).not.toContain("old-secret");
    expect(JSON.stringify(change)).toMatch(/sha256:[0-9a-f]{12}/);
  });

  it("leaves a paused schedule paused (not drift)", () => {
    const want = hourlyDesired as DesiredSchedule;
    expect(scheduleChanges(want, asQStash(want, { isPaused: true }))).toEqual([]);
  });

  it("deletes only undeclared schedules of its own scope; foreign and external are listed, never touched", () => {
    const stale = asQStash(daily as DesiredSchedule, { scheduleId: scheduleIdFor(local, "report", "gone") });
    const otherEnv = {
      ...stale,
      scheduleId: scheduleIdFor({ ...local, environment: "preview" }, "report", "x"),
    };
    const otherUrl = { ...stale, scheduleId: scheduleIdFor(production, "report", "hourly") };
    const handMade = external("nightly-backup");
    const lookalike = external("overtime-made-by-hand");
    const plan = planSchedules(desired, [stale, otherEnv, otherUrl, handMade, lookalike], local);
    expect(plan.delete.map((s) => s.scheduleId)).toEqual([stale.scheduleId]);
    expect(plan.foreign.map((s) => s.scheduleId).sort()).toEqual(
      [otherEnv.scheduleId, otherUrl.scheduleId].sort(),
    );
    expect(plan.external.map((s) => s.scheduleId)).toEqual(["nightly-backup", "overtime-made-by-hand"]);
    expect(plan.create).toHaveLength(2);
  });

  it("with nothing declared, deletes its own scope's schedules and nothing else", () => {
    const ours = asQStash(hourlyDesired as DesiredSchedule);
    const prod = { ...ours, scheduleId: scheduleIdFor(production, "report", "hourly") };
    const plan = planSchedules([], [ours, prod, external("mine")], local);
    expect(plan.delete.map((s) => s.scheduleId)).toEqual([ours.scheduleId]);
    expect(plan.foreign).toHaveLength(1);
    expect(plan.external).toHaveLength(1);
  });
});

describe("formatPlan", () => {
  it("shows every bucket and what a dry run would do", () => {
    const [want] = desiredSchedules([report([hourly])], local);
    const drifted = asQStash(want as DesiredSchedule, { cron: "*/5 * * * *" });
    const foreign = { ...drifted, scheduleId: scheduleIdFor(production, "report", "hourly") };
    const plan = planSchedules([want as DesiredSchedule], [drifted, foreign, external("by-hand")], local);
    const text = formatPlan(plan, { dryRun: true });
    expect(text).toContain(`ids ${scopeTag(local)}-*`);
    expect(text).toContain(`~ update     ${want?.scheduleId}`);
    expect(text).toContain('cron: "*/5 * * * *" → "0 * * * *"');
    expect(text).toContain("Other environments / deployments (never touched)");
    expect(text).toContain(`· ${foreign.scheduleId}  (production,`);
    expect(text).toContain("External, not made by Overtime (never touched)");
    expect(text).toContain(
      "Dry run: 0 to create, 1 to update, 0 to delete, 0 unchanged. Nothing was changed.",
    );
  });
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}
