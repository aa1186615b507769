import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/app/_components/states";

export const metadata: Metadata = { title: "Jeeves · Overtime" };

export default function JeevesPage() {
  return (
    <section>
      <PageHeader title="Jeeves" />
      <EmptyState title="Jeeves has not reported anything yet.">
        <p>
          Jeeves's discoveries and its notification inbox will appear here once the agent workflow is
          deployed.
        </p>
      </EmptyState>
    </section>
  );
}
