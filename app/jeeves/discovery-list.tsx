import Link from "next/link";
import { RelativeTime } from "@/app/_components/time";
import { shortId } from "@/app/_lib/format";
import type { StoredDiscovery } from "@/app/_lib/jeeves";

/** Discoveries newest first: what was found, the figures it rests on, which streams, and when. */
export function DiscoveryList({ discoveries, now }: { discoveries: StoredDiscovery[]; now: number }) {
  return (
    <section className="card" aria-label="Discoveries">
      <h2>Discoveries {discoveries.length > 0 && <span className="muted">({discoveries.length})</span>}</h2>
      {discoveries.length === 0 ? (
        <div className="empty">
          <p className="empty-title">Nothing discovered yet.</p>
          <p>
            Run Jeeves once the streams hold data (<code>npm run seed</code> loads the sample series); each
            finding appears here once, the first time it is made.
          </p>
        </div>
      ) : (
        <ol className="discovery-list">
          {discoveries.map((discovery) => (
            <DiscoveryItem key={discovery.id} discovery={discovery} now={now} />
          ))}
        </ol>
      )}
    </section>
  );
}

function DiscoveryItem({ discovery, now }: { discovery: StoredDiscovery; now: number }) {
  return (
    <li className="discovery" data-discovery={discovery.id} data-kind={discovery.kind}>
      <div className="discovery-head">
        <span className="badge kind">{discovery.kind}</span>
        <span className="mono small">{discovery.streams.join(" × ")}</span>
        <span className="muted small">
          found <RelativeTime at={discovery.firstSeenAt} now={now} /> by{" "}
          <Link
            className="mono"
            href={`/runs/${encodeURIComponent(discovery.firstSeenRunId)}`}
            title={discovery.firstSeenRunId}
          >
            {shortId(discovery.firstSeenRunId)}
          </Link>
        </span>
      </div>
      <p className="discovery-title">{discovery.title}</p>
      <dl className="figures">
        {Object.entries(discovery.figures).map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{formatFigure(value)}</dd>
          </div>
        ))}
      </dl>
      {discovery.narrative && (
        <details className="narrative">
          <summary>What the agent wrote</summary>
          <p>{discovery.narrative}</p>
        </details>
      )}
    </li>
  );
}

/** Figures are exact in the store; four significant digits are enough to read them. */
function formatFigure(value: number | string | null): string {
  if (value === null) return "n/a";
  if (typeof value === "string") return /^\d{4}-\d{2}-\d{2}T/.test(value) ? value.slice(0, 10) : value;
  return Number.isInteger(value) ? value.toLocaleString("en-US") : String(Number(value.toPrecision(4)));
}
