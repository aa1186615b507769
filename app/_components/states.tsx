import type { ReactNode } from "react";
import type { EnvError } from "@/app/_lib/env";

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function ConfigurationProblem({ error }: { error: EnvError }) {
  return (
    <section>
      <h1>Configuration needed</h1>
      <p className="lead">
        Overtime could not start because of its environment. Locally, run <code>npm run dev</code>, which sets
        everything up; in production, set these in your Vercel project settings.
      </p>
      <ul className="problems">
        {error.problems.map((problem) => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
    </section>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children && <div className="page-header-side">{children}</div>}
    </div>
  );
}
