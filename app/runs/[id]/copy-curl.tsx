"use client";

import type { RunRecord } from "overtime";
import { useEffect, useState } from "react";

/** A shell-safe single-quoted string. */
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function triggerCurl(origin: string, run: Pick<RunRecord, "workflow" | "input">): string {
  return [
    `curl -X POST ${origin}/api/trigger/${run.workflow} \\`,
    `  -H "Authorization: Bearer $OVERTIME_TRIGGER_SECRET" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d ${quote(JSON.stringify(run.input ?? {}))}`,
  ].join("\n");
}

/** Copies a curl that starts a new run with this run's input (the secret stays a shell variable). */
export function CopyCurl({ run }: { run: RunRecord }) {
  const [origin, setOrigin] = useState("");
  const [copied, setCopied] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => setOrigin(window.location.origin), []);
  const command = triggerCurl(origin, run);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
    setTimeout(() => setCopied("idle"), 2_000);
  };
  if ((run.input as { truncated?: unknown } | undefined)?.truncated === true) {
    // The record holds a preview of a large input; the server keeps it whole, so Restart can use it.
    return (
      <p className="muted small">The input is too large to copy as a curl; Restart runs it again whole.</p>
    );
  }
  return (
    <details className="curl">
      <summary>Re-trigger with curl</summary>
      <pre className="json" data-testid="curl">
        {command}
      </pre>
      <button type="button" onClick={copy}>
        {copied === "copied"
          ? "Copied"
          : copied === "failed"
            ? "Select and copy the text above"
            : "Copy curl"}
      </button>
    </details>
  );
}
