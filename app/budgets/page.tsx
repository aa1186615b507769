import type { Metadata } from "next";
import { ConfigurationProblem, EmptyState, PageHeader } from "@/app/_components/states";
import { loadOvertime } from "@/app/_lib/server";
import { BudgetsLive } from "./budgets-live";

export const metadata: Metadata = { title: "Budgets · Overtime" };
export const dynamic = "force-dynamic";

export default async function BudgetsPage() {
  const loaded = loadOvertime();
  if (!loaded.ok) return <ConfigurationProblem error={loaded.problem} />;
  const budgets = await loaded.overtime.services.budgets.status();
  return (
    <section>
      <PageHeader title="Budgets" />
      <p className="lead">
        Token and request budgets per model, shared by every run: a turn reserves its tokens before calling
        the model and waits when the bucket is empty, so concurrent runs stay under the provider's limits.
      </p>
      {budgets.length === 0 ? (
        <EmptyState title="No budgets configured.">
          <p>
            Set per-model limits in <code>OVERTIME_BUDGETS</code>, e.g.{" "}
            <code>&#123;"gpt-4o-mini":&#123;"tokensPerMinute":200000&#125;&#125;</code>; each then shows here
            with its live use.
          </p>
        </EmptyState>
      ) : (
        <BudgetsLive initial={budgets} />
      )}
    </section>
  );
}
