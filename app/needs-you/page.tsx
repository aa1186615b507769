import type { Metadata } from "next";
import { ConfigurationProblem, PageHeader } from "@/app/_components/states";
import { loadOvertime } from "@/app/_lib/server";
import { NeedsYouLive } from "./needs-you-live";

export const metadata: Metadata = { title: "Needs you · Overtime" };
export const dynamic = "force-dynamic";

export default async function NeedsYouPage() {
  const loaded = loadOvertime();
  if (!loaded.ok) return <ConfigurationProblem error={loaded.problem} />;
  const approvals = await loaded.overtime.services.approvals.pending();
  return (
    <section>
      <PageHeader title="Needs you" />
      <p className="lead">
        Runs waiting for a person to approve a tool call, oldest first. Runs waiting for an event or sleeping
        are not listed; a call nobody decides before its deadline is declined.
      </p>
      <NeedsYouLive initial={approvals} renderedAt={Date.now()} />
    </section>
  );
}
