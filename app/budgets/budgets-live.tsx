"use client";

import type { BucketStatus, BudgetStatus } from "overtime/ai";
import { useEffect, useState } from "react";
import { ClockTime } from "@/app/_components/time";

const POLL_MS = 3_000;

/** Budget use, re-read every few seconds while the tab is visible. */
export function BudgetsLive({ initial }: { initial: BudgetStatus[] }) {
  const [budgets, setBudgets] = useState(initial);
  const [stale, setStale] = useState(false);
  useEffect(() => {
    const timer = setInterval(async () => {
      if (document.hidden) return;
      try {
        const response = await fetch("/api/budgets", { cache: "no-store" });
        if (!response.ok) throw new Error(String(response.status));
        setBudgets(((await response.json()) as { budgets: BudgetStatus[] }).budgets);
        setStale(false);
      } catch {
        setStale(true);
      }
    }, POLL_MS);
    return () => clearInterval(timer);
  }, []);
  return (
    <>
      <p className={`live-note ${stale ? "stale" : ""}`}>
        <span className="dot" aria-hidden /> {stale ? "Connection lost, retrying…" : "Live"}
      </p>
      <div className="card">
        <table className="grid budgets">
          <thead>
            <tr>
              <th>Model</th>
              <th>Tokens</th>
              <th>Requests</th>
            </tr>
          </thead>
          <tbody>
            {budgets.map((budget) => (
              <tr key={budget.key} data-budget={budget.key}>
                <td>
                  <strong className="mono">{budget.model}</strong>
                  {budget.tenant && <div className="muted small">tenant {budget.tenant}</div>}
                </td>
                <td data-label="Tokens">
                  <Bucket bucket={budget.tokens} unit="tokens" />
                </td>
                <td data-label="Requests">
                  <Bucket bucket={budget.requests} unit="requests" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Bucket({ bucket, unit }: { bucket?: BucketStatus; unit: string }) {
  if (!bucket) return <span className="muted">no limit</span>;
  const used = Math.max(0, bucket.capacity - bucket.remaining);
  const share = bucket.capacity > 0 ? used / bucket.capacity : 0;
  const level = share >= 1 ? "over" : share >= 0.8 ? "high" : "";
  return (
    <div className="bucket" data-unit={unit} data-used={used}>
      <div className={`meter ${level}`} aria-hidden>
        <span style={{ width: `${Math.min(share, 1) * 100}%` }} />
      </div>
      <span className="small">
        {used.toLocaleString("en-US")} / {bucket.capacity.toLocaleString("en-US")} {unit} in use ·{" "}
        {bucket.limitPerMinute.toLocaleString("en-US")}
        /min
      </span>
      {used > 0 && (
        <span className="muted small">
          {" "}
          · full again by <ClockTime at={bucket.resetAt} />
        </span>
      )}
    </div>
  );
}
