import Link from "next/link";
import { redirect } from "next/navigation";
import { InvalidCursorError, RUN_STATUSES, type RunPage, type RunStatus } from "overtime";
import { RunsFilters } from "./_components/runs-filters";
import { RunsTable } from "./_components/runs-table";
import { ConfigurationProblem, EmptyState, PageHeader } from "./_components/states";
import { loadOvertime } from "./_lib/server";

export const dynamic = "force-dynamic";

const PAGE_SIZE = 25;

interface Query {
  workflow?: string;
  status?: string;
  cursor?: string;
  q?: string;
}

export default async function RunsPage({ searchParams }: { searchParams: Promise<Query> }) {
  const loaded = loadOvertime();
  if (!loaded.ok) return <ConfigurationProblem error={loaded.problem} />;
  const { store, registry } = loaded.overtime;
  const query = await searchParams;
  const workflow = query.workflow || undefined;
  const status = RUN_STATUSES.includes(query.status as RunStatus) ? (query.status as RunStatus) : undefined;
  const search = query.q?.trim();

  if (search) {
    const found = (await store.getRun(search)) ?? (await store.getRun(`wfr_${search}`));
    if (found) redirect(`/runs/${encodeURIComponent(found.id)}`);
  }

  let page: RunPage | undefined;
  let cursorProblem: string | undefined;
  try {
    page = await loaded.overtime.runs.list({
      workflow,
      status,
      cursor: query.cursor || undefined,
      limit: PAGE_SIZE,
    });
  } catch (error) {
    if (!(error instanceof InvalidCursorError)) throw error;
    cursorProblem = error.message;
  }
  const filters = { workflow, status };

  return (
    <section>
      <PageHeader title="Runs">
        <Link href="/trigger" className="button primary">
          Trigger a run
        </Link>
      </PageHeader>
      <RunsFilters workflows={registry.names()} workflow={workflow} status={status} search={search} />
      {search && (
        <p className="notice">
          No run with id <code>{search}</code> (runs are kept for the retention period).
        </p>
      )}
      {cursorProblem && <p className="notice bad">{cursorProblem}</p>}
      {page && page.runs.length === 0 && !query.cursor ? (
        <NoRuns filtered={Boolean(workflow || status)} />
      ) : (
        page && (
          <RunsTable
            key={`${workflow}:${status}:${query.cursor}`}
            initial={page}
            filters={filters}
            cursor={query.cursor || undefined}
            pageSize={PAGE_SIZE}
            renderedAt={Date.now()}
          />
        )
      )}
    </section>
  );
}

function NoRuns({ filtered }: { filtered: boolean }) {
  if (filtered) {
    return (
      <EmptyState title="No runs match these filters.">
        <Link href="/">Show all runs</Link>
      </EmptyState>
    );
  }
  return (
    <EmptyState title="No runs yet.">
      <p>
        Start one from the <Link href="/trigger">trigger form</Link>, or with{" "}
        <code>POST /api/trigger/&lt;workflow&gt;</code>. Runs appear here as they start, and update live.
      </p>
    </EmptyState>
  );
}
