import { env } from "./env";
import { redis } from "./redis";

export interface ServiceHealth {
  ok: boolean;
  latencyMs: number;
  target: string;
  error?: string;
}

export interface Health {
  ok: boolean;
  services: { redis: ServiceHealth; qstash: ServiceHealth; model: ServiceHealth };
}

const TIMEOUT_MS = 3_000;

/** Probes each backing service once, in parallel; never throws. */
export async function checkHealth(): Promise<Health> {
  const config = env();
  const modelBase = config.OPENAI_BASE_URL ?? "https://api.openai.com/v1";
  const [redisHealth, qstash, model] = await Promise.all([
    probe(config.UPSTASH_REDIS_REST_URL, async () => {
      const pong = await redis().ping();
      if (pong !== "PONG") throw new Error(`unexpected PING reply ${JSON.stringify(pong)}`);
    }),
    probe(config.QSTASH_URL, () => expectOk(`${config.QSTASH_URL}/v2/keys`, config.QSTASH_TOKEN)),
    probe(modelBase, () => expectOk(`${modelBase}/models`, config.OPENAI_API_KEY)),
  ]);
  return {
    ok: redisHealth.ok && qstash.ok && model.ok,
    services: { redis: redisHealth, qstash, model },
  };
}

async function probe(target: string, check: () => Promise<void>): Promise<ServiceHealth> {
  const started = performance.now();
  try {
    await check();
    return { ok: true, latencyMs: Math.round(performance.now() - started), target };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, latencyMs: Math.round(performance.now() - started), target, error: message };
  }
}

async function expectOk(url: string, token: string): Promise<void> {
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(TIMEOUT_MS),
    cache: "no-store",
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
}
