import Link from "next/link";
import { EmptyState } from "@/app/_components/states";

export default function RunNotFound() {
  return (
    <section>
      <p className="crumbs">
        <Link href="/">Runs</Link>
      </p>
      <EmptyState title="Run not found.">
        <p>
          No run has this id. Runs are kept for the retention period (<code>OVERTIME_RETENTION_DAYS</code>),
          then removed. <Link href="/">Back to runs</Link>
        </p>
      </EmptyState>
    </section>
  );
}
