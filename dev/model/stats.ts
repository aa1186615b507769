export interface EndpointStats {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** 429s served, whether injected or from the enforced limits. */
  rateLimited: number;
  /** Responses with a 4xx/5xx status (429s included) and connections cut by a fault. */
  errors: number;
}

export interface DevModelStats extends EndpointStats {
  /** Keyed by `METHOD /path`, e.g. `POST /v1/responses`. */
  byEndpoint: Record<string, EndpointStats>;
  /** The most tokens admitted within any sliding minute (the enforced TPM window). */
  peakTokensPerMinute: number;
  /** The most requests admitted within any sliding minute. */
  peakRequestsPerMinute: number;
}

export interface RequestOutcome {
  status: number;
  inputTokens?: number;
  outputTokens?: number;
  /** The connection was cut on purpose (truncate fault). */
  cut?: boolean;
}

/** Counts what the dev model served, for `GET /__dev/stats`. */
export class StatsRecorder {
  private readonly total = emptyStats();
  private readonly byEndpoint = new Map<string, EndpointStats>();

  record(endpoint: string, outcome: RequestOutcome): void {
    let forEndpoint = this.byEndpoint.get(endpoint);
    if (!forEndpoint) {
      forEndpoint = emptyStats();
      this.byEndpoint.set(endpoint, forEndpoint);
    }
    for (const stats of [this.total, forEndpoint]) {
      stats.requests += 1;
      stats.inputTokens += outcome.inputTokens ?? 0;
      stats.outputTokens += outcome.outputTokens ?? 0;
      if (outcome.status === 429) stats.rateLimited += 1;
      if (outcome.status >= 400 || outcome.cut) stats.errors += 1;
    }
  }

  snapshot(peaks: Pick<DevModelStats, "peakTokensPerMinute" | "peakRequestsPerMinute">): DevModelStats {
    return {
      ...this.total,
      ...peaks,
      byEndpoint: Object.fromEntries(
        [...this.byEndpoint].map(([endpoint, stats]) => [endpoint, { ...stats }]),
      ),
    };
  }
}

function emptyStats(): EndpointStats {
  return { requests: 0, inputTokens: 0, outputTokens: 0, rateLimited: 0, errors: 0 };
}
