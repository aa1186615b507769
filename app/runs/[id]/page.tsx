import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { isUrlSafeId } from "overtime";
import { runView } from "overtime/dashboard";
import { ConfigurationProblem } from "@/app/_components/states";
import { loadOvertime } from "@/app/_lib/server";
import { RunLive } from "./run-live";
import type { RunView } from "./use-run-live";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  return { title: `${decodeURIComponent((await params).id)} · Overtime` };
}

export default async function RunPage({ params }: Params) {
  const runId = decodeURIComponent((await params).id);
  const loaded = loadOvertime();
  if (!loaded.ok) return <ConfigurationProblem error={loaded.problem} />;
  const { overtime } = loaded;
  if (!isUrlSafeId(runId)) notFound();
  const [run, steps] = await Promise.all([overtime.runs.get(runId), overtime.runs.steps(runId)]);
  if (!run) notFound(); // answers 404 with ./not-found.tsx
  const details = (await runView(loaded.overtime, run, steps)) as RunView;
  return <RunLive initial={details} renderedAt={Date.now()} />;
}
