"use client";

export default function DashboardError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <section>
      <h1>Something went wrong</h1>
      <p className="notice bad" role="alert">
        This page could not load
        {error.digest ? ` (error ${error.digest}; the server log has the details)` : ""}.{" "}
        {process.env.NODE_ENV !== "production" && error.message}
      </p>
      <p className="muted">
        A backing service may be down: check <a href="/status">Status</a>.
      </p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}
