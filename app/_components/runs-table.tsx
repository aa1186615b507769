"use client";

import Link from "next/link";
import type { RunPage, RunRecord, RunStatus } from "overtime";
import { useEffect, useState } from "react";
import { formatDuration, shortId } from "@/app/_lib/format";
import { StatusBadge } from "./status-badge";
import { RelativeTime, useNow } from "./time";

interface Props {
  initial: RunPage;
  filters: { workflow?: string; status?: RunStatus; tag?: string; source?: string };
  cursor?: string;
  pageSize: number;
  renderedAt: number;
}

const POLL_MS = 2_000;

/** Runs not started by a person's own call are marked, so a schedule's runs do not pass for the user's. */
const MARKED_SOURCES = new Set(["schedule", "retry", "parent"]);
const SOURCE_TEXT: Record<string, string> = {
  schedule: "a schedule",
  retry: "a retry or replay",
  parent: "another run (invoke)",
};

/**
 * The runs page, kept live by re-reading the same page of the API every two seconds (only while the tab
 * is visible): one sorted-set range plus one pipeline per poll, whatever the number of runs.
 */
export function RunsTable({ initial, filters, cursor, pageSize, renderedAt }: Props) {
  const now = useNow(1_000, renderedAt);
  const [page, setPage] = useState(initial);
  const [stale, setStale] = useState(false);
  useEffect(() => setPage(initial), [initial]);
  useEffect(() => {
    const params = new URLSearchParams({ limit: String(pageSize) });
    if (filters.workflow) params.set("workflow", filters.workflow);
    if (filters.status) params.set("status", filters.status);
    if (filters.tag) params.set("tag", filters.tag);
    if (filters.source) params.set("source", filters.source);
    if (cursor) params.set("cursor", cursor);
    let stopped = false;
    const poll = async () => {
      if (document.hidden) return;
      try {
        const response = await fetch(`/api/runs?${params}`, { cache: "no-store" });
        if (!response.ok) throw new Error(String(response.status));
        const next = (await response.json()) as RunPage;
        if (!stopped) {
          setPage(next);
          setStale(false);
        }
      } catch {
        if (!stopped) setStale(true);
      }
    };
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [filters.workflow, filters.status, filters.tag, filters.source, cursor, pageSize]);

  return (
    <>
      <p className={`live-note ${stale ? "stale" : ""}`} aria-live="polite">
        <span className="dot" aria-hidden /> {stale ? "Connection lost, retrying…" : "Live"}
      </p>
      {page.runs.length === 0 ? (
        <p className="empty">No older runs.</p>
      ) : (
        <table className="runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Workflow</th>
              <th>Status</th>
              <th>Step</th>
              <th>Started</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {page.runs.map((run) => (
              <RunRow key={run.id} run={run} now={now} />
            ))}
          </tbody>
        </table>
      )}
      <Pager filters={filters} cursor={cursor} nextCursor={page.nextCursor} />
    </>
  );
}

function RunRow({ run, now }: { run: RunRecord; now: number }) {
  const href = `/runs/${encodeURIComponent(run.id)}`;
  return (
    <tr data-run-id={run.id}>
      <td data-label="Run">
        <Link href={href} className="mono" title={run.id}>
          {shortId(run.id)}
        </Link>
        {run.label && <span className="muted"> {run.label}</span>}
      </td>
      <td data-label="Workflow">
        {run.workflow}
        {MARKED_SOURCES.has(run.source) && (
          <span
            className="source-badge"
            data-source={run.source}
            title={`Started by ${SOURCE_TEXT[run.source]}`}
          >
            {run.source}
          </span>
        )}
      </td>
      <td data-label="Status">
        <StatusBadge status={run.status} />
      </td>
      <td data-label="Step" className="step-cell">
        {run.status === "failed" && run.error ? (
          <span className="error" title={run.error.message}>
            {run.error.step ? `${run.error.step}: ` : ""}
            {run.error.message}
          </span>
        ) : (
          <span className="muted">
            {run.currentStep ?? "—"} · {run.stepCount} step{run.stepCount === 1 ? "" : "s"}
          </span>
        )}
      </td>
      <td data-label="Started">
        <RelativeTime at={run.createdAt} now={now} />
      </td>
      <td data-label="Duration">{formatDuration((run.finishedAt ?? now) - run.createdAt)}</td>
    </tr>
  );
}

function Pager({ filters, cursor, nextCursor }: Pick<Props, "filters" | "cursor"> & { nextCursor?: string }) {
  const link = (next?: string) => {
    const params = new URLSearchParams();
    if (filters.workflow) params.set("workflow", filters.workflow);
    if (filters.status) params.set("status", filters.status);
    if (filters.tag) params.set("tag", filters.tag);
    if (filters.source) params.set("source", filters.source);
    if (next) params.set("cursor", next);
    const text = params.toString();
    return text ? `/?${text}` : "/";
  };
  if (!cursor && !nextCursor) return null;
  return (
    <nav className="pager" aria-label="Pages">
      {cursor ? <Link href={link()}>← Newest</Link> : <span />}
      {nextCursor && (
        <Link href={link(nextCursor)} rel="next">
          Older →
        </Link>
      )}
    </nav>
  );
}
