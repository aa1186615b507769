/**
 * Usage counters served at GET /__dev/stats. Upstash bills per command, so `commands` is the
 * number to compare between runs. Requests to /__dev/* are not counted anywhere.
 */
export interface RedisRestStats {
  /** HTTP requests to the Upstash API routes, whatever their outcome. */
  requests: number;
  /**
   * Redis commands sent to the backend on a client's behalf: one per single command, one per
   * pipeline or transaction entry (the MULTI/EXEC wrapper is not counted), one per subscribe
   * stream. Refused or malformed commands never reach Redis and are not counted.
   */
  commands: number;
  /** `commands` split by lower-case command name. */
  commandsByName: Record<string, number>;
  /** Requests per endpoint. */
  endpoints: { single: number; pipeline: number; multiExec: number; subscribe: number };
  /** Responses with a 4xx/5xx status, and commands answered with a Redis or refusal error. */
  errors: { responses: number; commands: number };
  /** Subscriber streams open right now, and messages delivered to them so far. */
  activeStreams: number;
  messagesDelivered: number;
  /** Request and response body bytes (SSE bytes included). */
  bytesIn: number;
  bytesOut: number;
  startedAt: string;
}

export type Endpoint = keyof RedisRestStats["endpoints"];

export class StatsRecorder {
  private readonly stats: RedisRestStats = {
    requests: 0,
    commands: 0,
    commandsByName: {},
    endpoints: { single: 0, pipeline: 0, multiExec: 0, subscribe: 0 },
    errors: { responses: 0, commands: 0 },
    activeStreams: 0,
    messagesDelivered: 0,
    bytesIn: 0,
    bytesOut: 0,
    startedAt: new Date().toISOString(),
  };

  request(): void {
    this.stats.requests++;
  }

  endpoint(endpoint: Endpoint): void {
    this.stats.endpoints[endpoint]++;
  }

  command(name: string): void {
    const key = name.toLowerCase();
    this.stats.commands++;
    this.stats.commandsByName[key] = (this.stats.commandsByName[key] ?? 0) + 1;
  }

  commandError(): void {
    this.stats.errors.commands++;
  }

  response(status: number): void {
    if (status >= 400) this.stats.errors.responses++;
  }

  streamOpened(): void {
    this.stats.activeStreams++;
  }

  streamClosed(): void {
    this.stats.activeStreams--;
  }

  messageDelivered(): void {
    this.stats.messagesDelivered++;
  }

  bytesIn(count: number): void {
    this.stats.bytesIn += count;
  }

  bytesOut(count: number): void {
    this.stats.bytesOut += count;
  }

  snapshot(): RedisRestStats {
    return structuredClone(this.stats);
  }
}
