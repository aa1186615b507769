import type { Metadata } from "next";
import Link from "next/link";
import { formFieldsFor } from "overtime/dashboard";
import { ConfigurationProblem, EmptyState, PageHeader } from "@/app/_components/states";
import { loadOvertime } from "@/app/_lib/server";
import { TriggerForm } from "./trigger-form";

export const metadata: Metadata = { title: "Trigger · Overtime" };
export const dynamic = "force-dynamic";

export default async function TriggerPage({
  searchParams,
}: {
  searchParams: Promise<{ workflow?: string }>;
}) {
  const loaded = loadOvertime();
  if (!loaded.ok) return <ConfigurationProblem error={loaded.problem} />;
  const workflows = loaded.overtime.registry.list();
  if (workflows.length === 0) {
    return (
      <section>
        <PageHeader title="Trigger a run" />
        <EmptyState title="No workflows registered.">
          <p>
            Add a file under <code>workflows/</code> and one line in <code>workflows/index.ts</code>.
          </p>
        </EmptyState>
      </section>
    );
  }
  const wanted = (await searchParams).workflow;
  const selected = workflows.find((workflow) => workflow.name === wanted) ?? workflows[0];
  if (!selected) return null;
  return (
    <section>
      <PageHeader title="Trigger a run" />
      <nav className="tabs" aria-label="Workflows">
        {workflows.map((workflow) => (
          <Link
            key={workflow.name}
            href={`/trigger?workflow=${encodeURIComponent(workflow.name)}`}
            aria-current={workflow.name === selected.name ? "page" : undefined}
          >
            {workflow.name}
          </Link>
        ))}
      </nav>
      <div className="card">
        <h2>{selected.name}</h2>
        {selected.description && <p className="muted">{selected.description}</p>}
        <TriggerForm key={selected.name} workflow={selected.name} fields={formFieldsFor(selected.input)} />
      </div>
    </section>
  );
}
