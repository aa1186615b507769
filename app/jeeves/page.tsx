import type { Metadata } from "next";
import Link from "next/link";
import type { RunRecord } from "overtime";
import { runJeevesNowAction, setJeevesEnabledAction } from "@/app/_actions/jeeves";
import { ConfigurationProblem, PageHeader } from "@/app/_components/states";
import { StatusBadge } from "@/app/_components/status-badge";
import { RelativeTime } from "@/app/_components/time";
import { Inbox } from "@/app/_lib/inbox";
import { DiscoveryStore, type JeevesConfig, loadJeevesConfig } from "@/app/_lib/jeeves";
import { loadOvertime } from "@/app/_lib/server";
import { DiscoveryList } from "./discovery-list";
import { InboxPanel } from "./inbox-panel";

export const metadata: Metadata = { title: "Jeeves · Overtime" };
export const dynamic = "force-dynamic";

const INBOX_LIMIT = 10;

export default async function JeevesPage() {
  const loaded = loadOvertime();
  if (!loaded.ok) return <ConfigurationProblem error={loaded.problem} />;
  const { redis } = loaded.overtime.config;
  const config = await loadJeevesConfig(redis);
  const [discoveries, inboxes, lastRun] = await Promise.all([
    new DiscoveryStore(redis).list({ limit: 50 }),
    Promise.all(
      config.personas.map(async (persona) => ({
        persona,
        messages: await new Inbox(redis).list(persona.id, { limit: INBOX_LIMIT }),
      })),
    ),
    loaded.overtime.runs.list({ workflow: "jeeves", limit: 1 }).then((page) => page.runs[0]),
  ]);
  const now = Date.now();
  return (
    <section>
      <PageHeader title="Jeeves">
        <form action={runJeevesNowAction}>
          <button type="submit" className="primary">
            Run Jeeves now
          </button>
        </form>
      </PageHeader>
      <p className="lead">
        Every 5 minutes Jeeves analyses the monitored streams (statistics, trends, anomalies, correlations,
        seasonality), keeps what it has not found before and tells each persona in their inbox. The figures
        come from the stream tools; the prose comes from the model.
      </p>
      <JeevesState config={config} lastRun={lastRun} now={now} />
      <div className="jeeves-grid">
        <DiscoveryList discoveries={discoveries} now={now} />
        <InboxPanel inboxes={inboxes} now={now} />
      </div>
    </section>
  );
}

function JeevesState({ config, lastRun, now }: { config: JeevesConfig; lastRun?: RunRecord; now: number }) {
  return (
    <div className="card jeeves-state" data-enabled={config.enabled}>
      <div>
        <p>
          <strong>{config.enabled ? "On" : "Off"}</strong>
          <span className="muted">
            {config.enabled
              ? " — runs on its schedule"
              : ` — scheduled runs end at once${config.disabledReason ? `: ${config.disabledReason}` : ""}`}
          </span>
        </p>
        <p className="muted small">
          Watching <span className="mono">{config.streams.join(", ")}</span>
          {config.window && (
            <>
              {" "}
              from {config.window.from} to {config.window.to}
            </>
          )}
        </p>
        <p className="muted small">
          {lastRun ? (
            <>
              Last run{" "}
              <Link className="mono" href={`/runs/${encodeURIComponent(lastRun.id)}`}>
                {lastRun.id}
              </Link>{" "}
              <RelativeTime at={lastRun.createdAt} now={now} /> <StatusBadge status={lastRun.status} />
            </>
          ) : (
            "No run yet."
          )}
        </p>
      </div>
      <form action={setJeevesEnabledAction.bind(null, !config.enabled)}>
        <button type="submit" className={config.enabled ? "danger" : ""}>
          {config.enabled ? "Turn off" : "Turn on"}
        </button>
      </form>
    </div>
  );
}
