import { EnvError } from "@/lib/env";
import { checkHealth, type Health, type ServiceHealth } from "@/lib/health";

export const dynamic = "force-dynamic";

const SERVICE_LABELS: Record<keyof Health["services"], string> = {
  redis: "Upstash Redis (REST)",
  qstash: "QStash",
  model: "Model provider (OpenAI API)",
};

export default async function HomePage() {
  let health: Health;
  try {
    health = await checkHealth();
  } catch (error) {
    if (error instanceof EnvError) return <ConfigurationProblem error={error} />;
    throw error;
  }
  return (
    <section>
      <h1>Overtime</h1>
      <p className="lead">
        Long-running, multi-step AI agent jobs on Upstash Workflow: each step is a separate invocation, so
        runs survive timeouts, crashes, rate limits and days-long waits.
      </p>
      <h2>Services</h2>
      <ul className="services">
        {Object.entries(health.services).map(([name, service]) => (
          <ServiceRow key={name} label={SERVICE_LABELS[name as keyof Health["services"]]} service={service} />
        ))}
      </ul>
    </section>
  );
}

function ServiceRow({ label, service }: { label: string; service: ServiceHealth }) {
  return (
    <li className={service.ok ? "ok" : "down"}>
      <span className="dot" aria-hidden />
      <strong>{label}</strong> <code>{service.target}</code>{" "}
      {service.ok ? `${service.latencyMs} ms` : <span className="error">{service.error}</span>}
    </li>
  );
}

function ConfigurationProblem({ error }: { error: EnvError }) {
  return (
    <section>
      <h1>Configuration needed</h1>
      <p>
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
