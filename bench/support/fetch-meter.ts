import { OverlapClock } from "./numbers";

/**
 * Counts the app's own outgoing HTTP (the SDK clients all use the global fetch): requests, time spent
 * waiting for the response headers, and response bytes, per origin. Requests to `/__dev/*` (the
 * benchmark's own polling) are left out. `addLatency` holds each request to an origin back by a fixed
 * time, to model a service that is not on loopback.
 */
export interface OriginUsage {
  requests: number;
  ms: number;
  responseBytes: number;
}

export class FetchMeter {
  /** Time with at least one request to the `services` in flight. */
  readonly inFlight = new OverlapClock();
  private readonly usage = new Map<string, OriginUsage>();
  private readonly services: Set<string>;

  /** `services`: the origins whose requests count in `inFlight` (the app's QStash and Redis). */
  constructor(services: readonly string[] = []) {
    this.services = new Set(services.map((service) => new URL(service).origin));
  }
  private original: typeof fetch | undefined;
  private readonly latencyMs = new Map<string, number>();

  install(): void {
    if (this.original) return;
    const original = globalThis.fetch;
    this.original = original;
    globalThis.fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.pathname.startsWith("/__dev/")) return original(input, init);
      const started = performance.now();
      const service = this.services.has(url.origin);
      if (service) this.inFlight.enter();
      let response: Response;
      try {
        const latency = this.latencyMs.get(url.origin);
        if (latency) await new Promise((resolve) => setTimeout(resolve, latency));
        response = await original(input, init);
      } finally {
        if (service) this.inFlight.exit();
      }
      const length = response.headers.get("content-length");
      this.record(url.origin, performance.now() - started, Number(length ?? 0));
      if (length === null) this.countBodyLater(url.origin, response);
      return response;
    };
  }

  uninstall(): void {
    if (this.original) globalThis.fetch = this.original;
    this.original = undefined;
  }

  /** Delays every later request to `origin` by `ms` before it is sent (0 = none). */
  addLatency(origin: string, ms: number): void {
    this.latencyMs.set(new URL(origin).origin, ms);
  }

  of(origin: string): OriginUsage {
    return { ...(this.usage.get(new URL(origin).origin) ?? { requests: 0, ms: 0, responseBytes: 0 }) };
  }

  /** Chunked responses: their size is known once read, on a clone (outside the timing). */
  private countBodyLater(origin: string, response: Response): void {
    void response
      .clone()
      .arrayBuffer()
      .then((body) => this.record(origin, 0, body.byteLength, false))
      .catch(() => {});
  }

  private record(origin: string, ms: number, bytes: number, isRequest = true): void {
    const entry = this.usage.get(origin) ?? { requests: 0, ms: 0, responseBytes: 0 };
    if (isRequest) entry.requests++;
    entry.ms += ms;
    entry.responseBytes += bytes;
    this.usage.set(origin, entry);
  }
}

export function usageDelta(after: OriginUsage, before: OriginUsage): OriginUsage {
  return {
    requests: after.requests - before.requests,
    ms: after.ms - before.ms,
    responseBytes: after.responseBytes - before.responseBytes,
  };
}
