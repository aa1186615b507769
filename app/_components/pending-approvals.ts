"use client";

import type { PendingApproval } from "overtime/ai";
import { useEffect, useState } from "react";

const POLL_MS = 2_000;

/** The needs-you list, re-read every two seconds while the tab is visible (one sorted-set range per poll). */
export function usePendingApprovals(initial?: PendingApproval[]): PendingApproval[] | undefined {
  const [approvals, setApprovals] = useState(initial);
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      if (document.hidden) return;
      try {
        const response = await fetch("/api/approvals?status=pending", { cache: "no-store" });
        if (!response.ok) return;
        const body = (await response.json()) as { approvals: PendingApproval[] };
        if (!stopped) setApprovals(body.approvals);
      } catch {
        // Offline for a moment: keep what was shown.
      }
    };
    void poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return approvals;
}
