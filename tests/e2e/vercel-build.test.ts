import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevStack, startDevStack } from "@/dev/stack";
import { scheduleIdFor } from "@/lib/schedules";
import { DEFAULT_MAX_DURATION_SECONDS } from "@/lib/vercel";
import { ROOT } from "./harness";

/**
 * `vercel build` as Vercel runs it for a production deployment, offline: the pinned Vercel CLI
 * (devDependency), a `.vercel/project.json` and the environment `vercel pull` would write, in a temp copy
 * of the project. Production QStash credentials point at the local stand-in, so the build's schedule step
 * really syncs. Then `.vercel/output` is checked: the API function's duration and runtime.
 */
const PRODUCTION_HOST = "overtime-e2e.example.com";
const SKIPPED = new Set(["node_modules", ".next", ".git", ".vercel", ".data", "test-artifacts"]);

let work: string;
let dev: DevStack;
let build: { code: number | null; output: string };

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "overtime-vercel-build-"));
  cpSync(ROOT, work, { recursive: true, filter: (source) => copied(path.basename(source)) });
  linkNodeModules(path.join(ROOT, "node_modules"), path.join(work, "node_modules"));
  // node_modules is already there (hard links): the project's `npm ci` would only redo it over the network.
  const vercelJson = JSON.parse(readFileSync(path.join(work, "vercel.json"), "utf8"));
  writeFileSync(path.join(work, "vercel.json"), JSON.stringify({ ...vercelJson, installCommand: "true" }));
  mkdirSync(path.join(work, ".vercel"));
  writeFileSync(
    path.join(work, ".vercel", "project.json"),
    JSON.stringify({
      projectId: "prj_overtimee2e",
      orgId: "team_overtimee2e",
      settings: { framework: "nextjs" },
    }),
  );
  dev = await startDevStack({ dataDir: path.join(work, ".data"), persist: false, ports: {} });
  // What `vercel pull --environment=production` writes: the project's variables and Vercel's system ones.
  const productionEnv = {
    VERCEL_ENV: "production",
    VERCEL_PROJECT_PRODUCTION_URL: PRODUCTION_HOST,
    VERCEL_URL: "overtime-e2e-abc123-team.vercel.app",
    QSTASH_URL: dev.env.QSTASH_URL,
    QSTASH_TOKEN: dev.env.QSTASH_TOKEN,
  };
  writeFileSync(
    path.join(work, ".vercel", ".env.production.local"),
    Object.entries(productionEnv)
      .map(([key, value]) => `${key}="${value}"`)
      .join("\n"),
  );
  build = await run(process.execPath, [
    path.join(work, "node_modules/vercel/dist/vc.js"),
    "build",
    "--prod",
    "--yes",
  ]);
}, 480_000);

afterAll(async () => {
  await dev?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("vercel build (vercel@58.10.0, offline)", () => {
  it("builds the app", () => {
    expect(build.output).toContain("Build Completed in .vercel/output");
    expect(build.code).toBe(0);
  });

  it("deploys the API (workflow endpoint, trigger, SSE events) as one function with its maxDuration and Node 24", () => {
    const config = JSON.parse(readFileSync(functionConfig("api/[...path].func"), "utf8"));
    expect(config.maxDuration).toBe(DEFAULT_MAX_DURATION_SECONDS);
    expect(config.runtime).toMatch(/^nodejs(22|24)\.x$/);
    expect(config.runtime).toBe("nodejs24.x"); // engines.node: the newest Vercel runs
  });

  it("runs the schedule sync as part of the build, against the production URL", async () => {
    const builds = JSON.parse(readFileSync(path.join(work, ".vercel/output/builds.json"), "utf8"));
    expect(builds.builds[0].config.buildCommand).toBe("next build && npm run --silent schedules:deploy");
    expect(build.output).toContain(`Overtime schedules: syncing "production" at https://${PRODUCTION_HOST}.`);
    const qstash = new Client({ baseUrl: dev.env.QSTASH_URL, token: dev.env.QSTASH_TOKEN });
    const jeevesId = scheduleIdFor(
      { environment: "production", baseUrl: `https://${PRODUCTION_HOST}` },
      "jeeves",
      "every-5-minutes",
    );
    const jeeves = await qstash.schedules.get(jeevesId);
    expect(jeeves.destination).toBe(`https://${PRODUCTION_HOST}/api/workflows/jeeves`);
    expect(jeeves.labels).toEqual(["overtime", "env-production", "workflow-jeeves"]);
  });
});

/** The project as git has it: no local build output, data, or a developer's .env files. */
function copied(name: string): boolean {
  return !SKIPPED.has(name) && !(name.startsWith(".env") && name !== ".env.example");
}

function functionConfig(name: string): string {
  const file = path.join(work, ".vercel/output/functions", name, ".vc-config.json");
  if (!existsSync(file))
    throw new Error(`no function ${name} in .vercel/output:\n${build.output.slice(-3000)}`);
  return file;
}

/** Hard links where the platform has them (fast, no copy), a real copy elsewhere. */
function linkNodeModules(from: string, to: string): void {
  try {
    execFileSync("cp", ["-al", from, to]);
  } catch {
    cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  }
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: "production",
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? work,
    VERCEL_TELEMETRY_DISABLED: "1",
    NEXT_TELEMETRY_DISABLED: "1",
    CI: "1",
  };
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: work, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      output += String(chunk);
    });
    child.on("close", (code) => resolve({ code, output }));
  });
}
