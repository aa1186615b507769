import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Client, type Schedule } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { syncLocalSchedules } from "@/dev/schedules";
import { createTestStack, type RunRecord, type TestStack } from "@/dev/testing";
import { type ScheduleScope, type SyncOptions, scheduleIdFor, syncSchedules } from "@/lib/schedules";
import { localStackFile, writeLocalStack } from "@/lib/schedules/local-stack";
import { defineWorkflow, type ScheduleSpec } from "@/lib/workflow/define";
import { workflows as appWorkflows } from "@/workflows";

type DigestInput = { team: string; size?: number };

const digest = (schedules: ScheduleSpec<DigestInput>[]) =>
  defineWorkflow({
    name: "digest",
    input: z.object({ team: z.string().min(1), size: z.number().int().optional() }),
    schedules,
    async handler({ context, input }) {
      return context.run("summarize", () => `digest for ${input.team}`);
    },
  });

const every5: ScheduleSpec<DigestInput> = { id: "every-5", cron: "*/5 * * * *", input: { team: "core" } };
const tokyo: ScheduleSpec<DigestInput> = {
  id: "tokyo-morning",
  cron: "0 9 * * *",
  timezone: "Asia/Tokyo",
  input: { team: "tokyo" },
};
const FIVE_MINUTES = 300_000;

let t: TestStack;
let qstash: Client;
let scope: ScheduleScope;
let handMadeId = "";

const sync = (schedules: ScheduleSpec<DigestInput>[], options: Partial<SyncOptions> = {}) =>
  syncSchedules({ workflows: [digest(schedules)], qstash, scope, ...options });
const idOf = (declared: string, of: ScheduleScope = scope) => scheduleIdFor(of, "digest", declared);
const allSchedules = async () =>
  new Map<string, Schedule>((await qstash.schedules.list()).map((s) => [s.scheduleId, s]));

async function clockNow(): Promise<number> {
  const response = await fetch(`${t.dev.env.QSTASH_URL}/__dev/clock`);
  return ((await response.json()) as { now: number }).now;
}

async function scheduledRuns(team: string): Promise<RunRecord[]> {
  const { runs } = await t.overtime.store.listRuns({ workflow: "digest", limit: 100 });
  return runs.filter((run) => (run.input as DigestInput | undefined)?.team === team);
}

beforeAll(async () => {
  t = await createTestStack({ workflows: [digest([])] });
  qstash = new Client({ baseUrl: t.dev.env.QSTASH_URL, token: t.dev.env.QSTASH_TOKEN });
  scope = { environment: "development", baseUrl: t.url };
  // Pin the virtual clock to the next 12:00:30 UTC, whatever the wall clock says: 30 s past a 5-minute
  // boundary, so each later 5-minute advance crosses exactly one, and hours away from the Tokyo 09:00
  // slot (00:00 UTC), which the earlier tests' advances must not reach.
  const now = await clockNow();
  await t.advanceTime(nextUtc(now, PINNED_START_UTC_MS) - now);
});

/** The CLI as a build or a user runs it, in a clean environment; never throws. */
function cliRun(args: string[], env: Record<string, string>) {
  return promisify(execFile)(process.execPath, ["--import", "tsx", "app/_lib/schedules-cli.ts", ...args], {
    env: {
      NODE_ENV: "test",
      PATH: process.env.PATH ?? "",
      OVERTIME_DATA_DIR: path.join(tmpdir(), "none"),
      ...env,
    },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

const PINNED_START_UTC_MS = (12 * 3600 + 30) * 1000;
const DAY_MS = 86_400_000;

/** The first instant at or after `now` whose time of day (UTC) is `timeOfDayMs`. */
function nextUtc(now: number, timeOfDayMs: number): number {
  const candidate = Math.floor(now / DAY_MS) * DAY_MS + timeOfDayMs;
  return candidate >= now ? candidate : candidate + DAY_MS;
}

afterAll(async () => {
  await t?.stop();
});

describe.sequential("npm run schedules:sync through the real QStash SDK", () => {
  it("creates the declared schedules and lists a hand-made one as external, untouched", async () => {
    ({ scheduleId: handMadeId } = await qstash.schedules.create({
      destination: `${t.url}/hand-made`,
      cron: "0 0 1 1 *",
      body: "{}",
    }));
    await qstash.schedules.pause({ schedule: handMadeId });
    const handMade = await qstash.schedules.get(handMadeId);

    const { plan } = await sync([every5, tokyo]);
    expect(plan.create.map((d) => d.scheduleId)).toEqual([idOf("every-5"), idOf("tokyo-morning")]);
    expect(plan.external.map((s) => s.scheduleId)).toEqual([handMadeId]);

    const schedules = await allSchedules();
    expect(schedules.get(idOf("every-5"))).toMatchObject({
      destination: `${t.url}/api/workflows/digest`,
      cron: "*/5 * * * *",
      body: JSON.stringify({ team: "core" }),
      header: expect.objectContaining({ "Overtime-Source": ["schedule"] }),
      isPaused: false,
    });
    expect(schedules.get(idOf("tokyo-morning"))?.cron).toBe("CRON_TZ=Asia/Tokyo 0 9 * * *");
    expect(schedules.get(handMadeId)).toEqual(handMade);
  });

  it("is a no-op when nothing changed", async () => {
    const before = await allSchedules();
    const { plan } = await sync([every5, tokyo]);
    expect(plan.unchanged).toHaveLength(2);
    expect([plan.create, plan.update, plan.delete]).toEqual([[], [], []]);
    expect(await allSchedules()).toEqual(before);
  });

  it("fires */5 three times under the virtual clock: three tracked runs with source schedule", async () => {
    expect(await scheduledRuns("core")).toHaveLength(0);
    for (let firing = 1; firing <= 3; firing++) {
      await t.advanceTime(FIVE_MINUTES);
      expect(await scheduledRuns("core")).toHaveLength(firing);
    }
    const runs = await scheduledRuns("core");
    for (const run of runs) {
      expect(await t.waitForRun(run.id)).toMatchObject({
        status: "succeeded",
        source: "schedule",
        input: { team: "core" },
        output: "digest for core",
      });
    }
    expect(new Set(runs.map((run) => run.id)).size).toBe(3);
  });

  it("shows a dry run's diff without changing anything", async () => {
    const before = await allSchedules();
    const { plan, dryRun } = await sync([{ ...every5, cron: "*/10 * * * *" }, tokyo], { dryRun: true });
    expect(dryRun).toBe(true);
    expect(plan.update.map((u) => u.changes)).toEqual([
      [{ field: "cron", from: "*/5 * * * *", to: "*/10 * * * *" }],
    ]);
    expect(await allSchedules()).toEqual(before);
  });

  it("updates a schedule in place when its cron or input changes", async () => {
    const createdAt = (await qstash.schedules.get(idOf("every-5"))).createdAt;
    const changed = { ...every5, cron: "*/10 * * * *", input: { team: "core", size: 2 } };
    const { plan } = await sync([changed, tokyo]);
    expect(plan.update.map((u) => u.changes.map((c) => c.field))).toEqual([["cron", "body"]]);
    expect(plan.unchanged.map((u) => u.desired.declaredId)).toEqual(["tokyo-morning"]);

    const updated = await qstash.schedules.get(idOf("every-5"));
    expect(updated).toMatchObject({ cron: "*/10 * * * *", body: JSON.stringify(changed.input), createdAt });
    expect((await sync([changed, tokyo])).plan.unchanged).toHaveLength(2);
  });

  it("deletes a schedule no longer declared, and only that one", async () => {
    const { plan } = await sync([tokyo]);
    expect(plan.delete.map((s) => s.scheduleId)).toEqual([idOf("every-5")]);
    expect([...(await allSchedules()).keys()].sort()).toEqual([handMadeId, idOf("tokyo-morning")].sort());
  });

  it("fires a CRON_TZ schedule at 09:00 in its timezone", async () => {
    const schedule = await qstash.schedules.get(idOf("tokyo-morning"));
    const next = schedule.nextScheduleTime as number;
    expect(new Date(next).toISOString()).toMatch(/T00:00:00\.000Z$/); // 09:00 in Tokyo (UTC+9)
    await t.advanceTime(next - (await clockNow()) + 60_000);
    const runs = await scheduledRuns("tokyo");
    expect(runs).toHaveLength(1);
    expect(await t.waitForRun(runs[0]?.id as string)).toMatchObject({
      status: "succeeded",
      source: "schedule",
    });
    expect((await qstash.schedules.get(idOf("tokyo-morning"))).lastScheduleTime).toBe(next);
  });

  it("never touches another environment's or deployment's schedules (listed as foreign)", async () => {
    const before = await allSchedules();
    const preview: ScheduleScope = { environment: "preview", baseUrl: t.url };
    const emptyPreview = await sync([], { scope: preview });
    expect(emptyPreview.plan.delete).toEqual([]);
    expect(emptyPreview.plan.foreign.map((s) => s.scheduleId)).toEqual([idOf("tokyo-morning")]);
    expect(emptyPreview.plan.external.map((s) => s.scheduleId)).toEqual([handMadeId]);

    const otherUrl: ScheduleScope = { environment: "development", baseUrl: "https://other.example.com" };
    const emptyOtherUrl = await sync([], { scope: otherUrl });
    expect(emptyOtherUrl.plan.delete).toEqual([]);
    expect(emptyOtherUrl.plan.foreign.map((s) => s.scheduleId)).toEqual([idOf("tokyo-morning")]);
    expect(await allSchedules()).toEqual(before);

    // Each scope manages its own: preview creates and later deletes its copy, development's stays.
    await sync([every5], { scope: preview });
    expect((await allSchedules()).has(idOf("every-5", preview))).toBe(true);
    const cleanup = await sync([], { scope: preview });
    expect(cleanup.plan.delete.map((s) => s.scheduleId)).toEqual([idOf("every-5", preview)]);
    expect(await allSchedules()).toEqual(before);
  });

  it("with pruneOtherUrls, retires this environment's schedules at old URLs and nothing else", async () => {
    const before = await allSchedules();
    const oldPreview: ScheduleScope = { environment: "preview", baseUrl: "https://app-git-old.example.com" };
    const newPreview: ScheduleScope = { environment: "preview", baseUrl: "https://app-git-new.example.com" };
    await sync([every5], { scope: oldPreview });
    const dry = await sync([every5], { scope: newPreview, pruneOtherUrls: true, dryRun: true });
    expect(dry.plan.retire.map((s) => s.scheduleId)).toEqual([idOf("every-5", oldPreview)]);
    expect((await allSchedules()).has(idOf("every-5", oldPreview))).toBe(true);

    const real = await sync([every5], { scope: newPreview, pruneOtherUrls: true });
    expect(real.plan.foreign.map((s) => s.scheduleId)).toEqual([idOf("tokyo-morning")]); // development's
    const after = await allSchedules();
    expect(after.has(idOf("every-5", oldPreview))).toBe(false);
    expect(after.has(idOf("every-5", newPreview))).toBe(true);
    await sync([], { scope: newPreview });
    expect(await allSchedules()).toEqual(before);
  });

  it("runs as a CLI: --dry-run shows the diff, then a real run applies it (exit code 0)", async () => {
    const cli = (args: string[], env: Record<string, string> = {}) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", "app/_lib/schedules-cli.ts", ...args], {
        env: {
          NODE_ENV: "test",
          PATH: process.env.PATH ?? "",
          QSTASH_URL: t.dev.env.QSTASH_URL,
          QSTASH_TOKEN: t.dev.env.QSTASH_TOKEN,
          OVERTIME_ENV: "clitest",
          UPSTASH_WORKFLOW_URL: t.url,
          ...env,
        },
      });
    const helloId = scheduleIdFor({ environment: "clitest", baseUrl: t.url }, "hello", "daily");
    const dry = await cli(["--dry-run"]);
    expect(dry.stdout).toContain(`+ create     ${helloId}  CRON_TZ=UTC 0 9 * * * → hello`);
    expect(dry.stdout).toContain(idOf("tokyo-morning")); // listed as another environment's
    expect(dry.stdout).toContain("Nothing was changed.");
    expect((await allSchedules()).has(helloId)).toBe(false);

    const viaNpmFlag = await cli([], { npm_config_dry_run: "true" });
    expect(viaNpmFlag.stdout).toContain("Nothing was changed.");

    const real = await cli([]);
    // The CLI syncs the app's own registry: every schedule its workflows declare.
    const declared = appWorkflows
      .list()
      .flatMap((workflow) =>
        (workflow.schedules ?? []).map((schedule) =>
          scheduleIdFor({ environment: "clitest", baseUrl: t.url }, workflow.name, schedule.id),
        ),
      );
    expect(real.stdout).toContain(`Done: ${declared.length} created, 0 updated, 0 deleted.`);
    expect((await allSchedules()).get(helloId)?.destination).toBe(`${t.url}/api/workflows/hello`);
    for (const id of declared) await qstash.schedules.delete(id);
  });

  it("npm run dev creates the app's schedules on the local QStash, once", async () => {
    const appUrl = "http://127.0.0.1:3999";
    const first = await syncLocalSchedules({ env: t.dev.env, appUrl, workflows: appWorkflows });
    expect(first).toMatch(/^schedules: \d+ on the local QStash: /);
    expect(first).toContain("jeeves (*/5 * * * *)");
    const jeevesId = scheduleIdFor(
      { environment: "development", baseUrl: appUrl },
      "jeeves",
      "every-5-minutes",
    );
    expect((await allSchedules()).get(jeevesId)?.destination).toBe(`${appUrl}/api/workflows/jeeves`);
    const again = await syncLocalSchedules({ env: t.dev.env, appUrl, workflows: appWorkflows });
    expect(again).toBe(first); // a restart finds them in place
    const off = await syncLocalSchedules({ env: t.dev.env, appUrl, workflows: [] }); // OVERTIME_DEV_SCHEDULES=off
    expect(off).toMatch(/^schedules: 0 on the local QStash; removed \d+ no longer declared$/);
    expect((await allSchedules()).has(jeevesId)).toBe(false);
  });

  it("--deploy (the Vercel build step): production syncs at the production URL, labelled, pruning old URLs", async () => {
    const before = await allSchedules();
    const productionUrl = "https://overtime-prod.example.com";
    const helloAt = (baseUrl: string) =>
      scheduleIdFor({ environment: "production", baseUrl }, "hello", "daily");
    // What a deploy before stable URLs left behind: production's schedules at a per-deployment URL.
    const oldDeployment = "https://overtime-abc123-team.vercel.app";
    await qstash.schedules.create({
      scheduleId: helloAt(oldDeployment),
      destination: `${oldDeployment}/x`,
      cron: "0 9 * * *",
    });
    const build = {
      VERCEL: "1",
      VERCEL_ENV: "production",
      VERCEL_PROJECT_PRODUCTION_URL: "overtime-prod.example.com",
      VERCEL_URL: "overtime-def456-team.vercel.app",
      VERCEL_AUTOMATION_BYPASS_SECRET: "bypass-0123456789",
      QSTASH_URL: t.dev.env.QSTASH_URL,
      QSTASH_TOKEN: t.dev.env.QSTASH_TOKEN,
    };
    const first = await cliRun(["--deploy"], build);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Overtime schedules: syncing "production" at ${productionUrl}.`);
    const after = await allSchedules();
    expect(after.has(helloAt(oldDeployment))).toBe(false);
    const hello = after.get(helloAt(productionUrl));
    expect(hello?.destination).toBe(`${productionUrl}/api/workflows/hello`);
    expect(hello?.labels).toEqual(["overtime", "env-production", "workflow-hello"]);
    expect(hello?.header).toMatchObject({ "X-Vercel-Protection-Bypass": ["bypass-0123456789"] });
    expect(first.stdout).not.toContain("bypass-0123456789");
    // Every deploy runs it again: idempotent.
    const second = await cliRun(["--deploy"], build);
    expect(second.stdout).toContain("In sync: nothing to change.");
    // A production build without QStash credentials builds, and says why it did not sync.
    const noToken = await cliRun(["--deploy"], { ...build, QSTASH_TOKEN: "" });
    expect(noToken).toMatchObject({ code: 0 });
    expect(noToken.stdout).toContain(
      "not synced on this build (no QSTASH_TOKEN in the production environment)",
    );
    await cliRun(["--deploy"], { ...build, OVERTIME_DEPLOY_SCHEDULES: "off" });
    for (const id of (await allSchedules()).keys()) if (!before.has(id)) await qstash.schedules.delete(id);
  });

  it("--deploy: a preview gets no cron unless OVERTIME_DEPLOY_SCHEDULES=on, then at its branch URL", async () => {
    const before = await allSchedules();
    const preview = {
      VERCEL_ENV: "preview",
      VERCEL_BRANCH_URL: "overtime-git-feature-team.vercel.app",
      VERCEL_URL: "overtime-xyz789-team.vercel.app",
      QSTASH_URL: t.dev.env.QSTASH_URL,
      QSTASH_TOKEN: t.dev.env.QSTASH_TOKEN,
    };
    const skipped = await cliRun(["--deploy"], preview);
    expect(skipped).toMatchObject({ code: 0 });
    expect(skipped.stdout).toContain("previews get no schedules unless OVERTIME_DEPLOY_SCHEDULES=on");
    expect(await allSchedules()).toEqual(before);

    const optedIn = await cliRun(["--deploy"], { ...preview, OVERTIME_DEPLOY_SCHEDULES: "on" });
    expect(optedIn.code).toBe(0);
    const branchUrl = "https://overtime-git-feature-team.vercel.app";
    const jeeves = (await allSchedules()).get(
      scheduleIdFor({ environment: "preview", baseUrl: branchUrl }, "jeeves", "every-5-minutes"),
    );
    expect(jeeves?.destination).toBe(`${branchUrl}/api/workflows/jeeves`);
    expect(jeeves?.labels).toEqual(["overtime", "env-preview", "workflow-jeeves"]);
    // A preview without its branch URL refuses rather than scoping schedules to one deployment.
    const { VERCEL_BRANCH_URL: _, ...noBranch } = preview;
    const refused = await cliRun(["--deploy"], { ...noBranch, OVERTIME_DEPLOY_SCHEDULES: "on" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("VERCEL_BRANCH_URL is not set");
    for (const id of (await allSchedules()).keys()) if (!before.has(id)) await qstash.schedules.delete(id);
  });

  it("without QStash env, finds the local stack a running `npm run dev` announced", async () => {
    const before = await allSchedules();
    const dataDir = mkdtempSync(path.join(tmpdir(), "overtime-local-stack-"));
    try {
      const appUrl = "http://127.0.0.1:3998";
      const file = localStackFile(dataDir);
      const announce = (pid: number) =>
        writeLocalStack(file, {
          QSTASH_URL: t.dev.env.QSTASH_URL,
          QSTASH_TOKEN: t.dev.env.QSTASH_TOKEN,
          appUrl,
          pid,
        });
      announce(process.pid); // this process stands in for the dev CLI: alive
      const synced = await cliRun([], { OVERTIME_DATA_DIR: dataDir });
      expect(synced.code).toBe(0);
      expect(synced.stdout).toContain(
        `Using the local stack of \`npm run dev\` (${t.dev.env.QSTASH_URL}, app ${appUrl}).`,
      );
      const jeevesId = scheduleIdFor(
        { environment: "development", baseUrl: appUrl },
        "jeeves",
        "every-5-minutes",
      );
      expect((await allSchedules()).get(jeevesId)?.labels).toEqual([
        "overtime",
        "env-development",
        "workflow-jeeves",
      ]);
      // A file left by a dev CLI that is gone is not used.
      announce(2 ** 22 + 12_345);
      const stale = await cliRun([], { OVERTIME_DATA_DIR: dataDir });
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain("start `npm run dev`");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    for (const id of (await allSchedules()).keys()) if (!before.has(id)) await qstash.schedules.delete(id);
  });

  it("exits non-zero with a clear message on bad arguments or environment", async () => {
    const run = (args: string[], env: Record<string, string>) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", "app/_lib/schedules-cli.ts", ...args], {
        env: { NODE_ENV: "test", PATH: process.env.PATH ?? "", ...env },
      }).then(
        () => ({ code: 0, stderr: "" }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
    const missingToken = await run([], { OVERTIME_DATA_DIR: path.join(tmpdir(), "overtime-no-stack") });
    expect(missingToken.code).toBe(1);
    expect(missingToken.stderr).toContain("QSTASH_TOKEN is missing");
    const prodToLocal = await run([], { QSTASH_TOKEN: "x", VERCEL_ENV: "production" });
    expect(prodToLocal.stderr).toContain("Refusing to sync production schedules");
    expect((await run(["--force"], {})).code).toBe(2);
  });
});
