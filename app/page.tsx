import Link from "next/link";
import { redirect } from "next/navigation";
import {
  InvalidCursorError,
  RUN_STATUSES,
  type RunPage,
  type RunStatus,
  TAG_PATTERN,
  TRIGGER_SOURCES,
  type TriggerSource,
} from "overtime";
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
  tag?: string;
  source?: string;
}

export default async function RunsPage({ searchParams }: { searchParams: Promise<Query> }) {
  const loaded = loadOvertime();
  if (!loaded.ok) return <ConfigurationProblem error={loaded.problem} />;
  const { store, registry } = loaded.overtime;
  const query = await searchParams;
  const workflow = query.workflow || undefined;
  const status = RUN_STATUSES.includes(query.status as RunStatus) ? (query.status as RunStatus) : undefined;
  const search = query.q?.trim();
  // Bad values are ignored here (the API answers them with 400): a hand-edited URL still shows a page.
  const tag = query.tag && TAG_PATTERN.test(query.tag) ? query.tag : undefined;
  const source = TRIGGER_SOURCES.includes(query.source as TriggerSource)
    ? (query.source as TriggerSource)
    : undefined;

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
      tag,
      source,
      cursor: query.cursor || undefined,
      limit: PAGE_SIZE,
    });
  } catch (error) {
    if (!(error instanceof InvalidCursorError)) throw error;
    cursorProblem = error.message;
  }
  const filters = { workflow, status, tag, source };

  return (
    <section>
      <PageHeader title="Runs">
        <Link href="/trigger" className="button primary">
          Trigger a run
        </Link>
      </PageHeader>
      <RunsFilters
        workflows={registry.names()}
        workflow={workflow}
        status={status}
        tag={tag}
        source={source}
        search={search}
      />
      {search && (
        <p className="notice">
          No run with id <code>{search}</code> (runs are kept for the retention period).
        </p>
      )}
      {cursorProblem && <p className="notice bad">{cursorProblem}</p>}
      {page && page.runs.length === 0 && !query.cursor ? (
        <NoRuns filtered={Boolean(workflow || status || tag || source)} />
      ) : (
        page && (
          <RunsTable
            key={`${workflow}:${status}:${tag}:${source}:${query.cursor}`}
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
