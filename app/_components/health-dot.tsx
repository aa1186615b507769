"use client";

import { useEffect, useState } from "react";

type Health = "checking" | "ok" | "degraded" | "unknown";

const LABELS: Record<Health, string> = {
  checking: "Checking services…",
  ok: "All services up",
  degraded: "A service is down",
  unknown: "Service status unknown",
};

/** The top bar's service light; the details live on /status. */
export function HealthDot() {
  const [health, setHealth] = useState<Health>("checking");
  useEffect(() => {
    let stopped = false;
    const check = async () => {
      try {
        const response = await fetch("/api/health", { cache: "no-store" });
        if (!stopped) setHealth(response.ok ? "ok" : response.status === 503 ? "degraded" : "unknown");
      } catch {
        if (!stopped) setHealth("unknown");
      }
    };
    void check();
    const timer = setInterval(check, 30_000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return (
    <a href="/status" className={`health health-${health}`} title={LABELS[health]}>
      <span className="dot" aria-hidden />
      <span className="health-label">{LABELS[health]}</span>
    </a>
  );
}
