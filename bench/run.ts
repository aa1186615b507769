/**
 * Runs the benchmarks on the local dev stack and writes bench/results/latest.md + latest.json.
 *
 *   npm run bench                      # all of them (≈ 10–15 min, budgets dominate: real minutes)
 *   npm run bench -- --only=overhead   # one (or a comma-separated list); other sections kept from the last report
 *   npm run bench -- --no-write        # print, do not touch bench/results/
 *   npm run bench -- --render          # rewrite latest.md from latest.json
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { budgetsBench } from "./budgets";
import { claimCheckBench } from "./claim-check";
import { costBench } from "./cost";
import { crashBench } from "./crash";
import { growthBench } from "./growth";
import { loadBench } from "./load";
import { overheadBench } from "./overhead";
import { machineInfo, packageVersions } from "./support/machine";
import { type Report, renderMarkdown } from "./support/render";
import type { Bench, BenchResult } from "./support/report";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ALL: Bench[] = [
  overheadBench,
  growthBench,
  costBench,
  claimCheckBench,
  loadBench,
  budgetsBench,
  crashBench,
];

function selected(argv: readonly string[]): Bench[] {
  const only = argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
  if (!only) return ALL;
  const names = only.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => !ALL.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown bench ${unknown.join(", ")}; known: ${ALL.map((bench) => bench.name).join(", ")}`,
    );
  }
  return ALL.filter((bench) => names.includes(bench.name));
}

async function runOne(bench: Bench): Promise<BenchResult> {
  const started = performance.now();
  console.log(`▶ ${bench.name}: ${bench.title}`);
  const base = {
    name: bench.name,
    title: bench.title,
    method: bench.method,
    measuredAt: new Date().toISOString(),
  };
  try {
    const outcome = await bench.run();
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    console.log(`  done in ${seconds} s`);
    for (const block of outcome.markdown) console.log(`${block}\n`);
    return { ...base, ...outcome, seconds };
  } catch (error) {
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    console.error(`  failed after ${seconds} s: ${(error as Error).stack ?? error}`);
    return { ...base, figures: {}, markdown: [], targets: [], seconds, error: (error as Error).message };
  }
}

/** With --only, the other sections of the previous latest.json are kept (each shows when it was measured). */
async function mergedWithPrevious(fresh: readonly BenchResult[]): Promise<BenchResult[]> {
  const previous = await readFile(path.join(ROOT, "bench", "results", "latest.json"), "utf8")
    .then((text) => JSON.parse(text) as Report)
    .then((report) => report.results.map((r) => ({ ...r, measuredAt: r.measuredAt ?? report.date })))
    .catch(() => [] as BenchResult[]);
  return ALL.flatMap((bench) => {
    const result = fresh.find((r) => r.name === bench.name) ?? previous.find((r) => r.name === bench.name);
    return result ? [result] : [];
  });
}

/** `--render`: rewrites latest.md from latest.json (after a change to the report's layout). */
async function renderOnly(): Promise<void> {
  const dir = path.join(ROOT, "bench", "results");
  const report = JSON.parse(await readFile(path.join(dir, "latest.json"), "utf8")) as Report;
  await writeFile(path.join(dir, "latest.md"), renderMarkdown(report));
}

async function main(): Promise<void> {
  if (process.argv.includes("--render")) return renderOnly();
  const benches = selected(process.argv.slice(2));
  const startedAt = new Date();
  const fresh: BenchResult[] = [];
  for (const bench of benches) fresh.push(await runOne(bench));
  const results = benches.length === ALL.length ? fresh : await mergedWithPrevious(fresh);
  const report = {
    date: startedAt.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    machine: machineInfo(),
    packages: await packageVersions(ROOT),
    results,
  };
  const markdown = renderMarkdown(report);
  if (process.argv.includes("--no-write")) return;
  const dir = path.join(ROOT, "bench", "results");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "latest.md"), markdown);
  await writeFile(path.join(dir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path.relative(ROOT, dir)}/latest.md and latest.json`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
