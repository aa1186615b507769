import type { Metadata } from "next";
import { ConfigurationProblem, PageHeader } from "@/app/_components/states";
import { EnvError } from "@/app/_lib/env";
import { checkHealth, type Health, type ServiceHealth } from "@/app/_lib/health";

export const metadata: Metadata = { title: "Status · Overtime" };
export const dynamic = "force-dynamic";

const SERVICE_LABELS: Record<keyof Health["services"], string> = {
  redis: "Upstash Redis (REST)",
  qstash: "QStash",
  model: "Model provider (OpenAI API)",
};

export default async function StatusPage() {
  let health: Health;
  try {
    health = await checkHealth();
  } catch (error) {
    if (error instanceof EnvError) return <ConfigurationProblem error={error} />;
    throw error;
  }
  return (
    <section>
      <PageHeader title="Status" />
      <p className="lead">
        The services every run depends on, probed now. Each step of a run is a separate invocation that QStash
        delivers, so runs survive timeouts, crashes, rate limits and days-long waits.
      </p>
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
