import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, Receiver } from "@upstash/qstash";
import { type QStashOptions, type RunningQStash, startQStash } from "../../../dev/qstash/server";
import { type RunningRedisServer, startRedisServer } from "../../../dev/support/redis-server";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Responder = (request: ReceivedRequest) => {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer only after this many ms (to observe concurrency). */
  delayMs?: number;
};

/** A tiny HTTP endpoint recording every request; the responder decides each answer (200 "ok" by default). */
export class Receiver_ {
  readonly requests: ReceivedRequest[] = [];
  responder: Responder = () => ({ status: 200, body: "ok" });
  private server: Server | undefined;
  url = "";
  private waiters: (() => void)[] = [];
  private active = 0;
  /** Highest number of requests answered concurrently since the last reset. */
  maxActive = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const request: ReceivedRequest = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now(),
        };
        this.requests.push(request);
        const answer = this.responder(request);
        this.active++;
        this.maxActive = Math.max(this.maxActive, this.active);
        setTimeout(() => {
          this.active--;
          res.writeHead(answer.status ?? 200, answer.headers ?? {});
          res.end(answer.body ?? "");
          for (const waiter of this.waiters.splice(0)) waiter();
        }, answer.delayMs ?? 0);
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  on(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error("timed out waiting for requests");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}

export interface Harness {
  redis: RunningRedisServer;
  qstash: RunningQStash;
  client: Client;
  receiver: Receiver;
  endpoint: Receiver_;
  logs: string[];
  restart(extra?: Partial<QStashOptions>): Promise<void>;
  /** Moves the virtual clock; `schedules` says what schedules do with the slots it passes over. */
  advance(ms: number, schedules?: "latest" | "every-slot"): Promise<void>;
  pending(): Promise<{
    inFlight: number;
    dueNow: number;
    blocked: number;
    scheduled: number;
    nextDueAt: number | null;
  }>;
  /** Waits until nothing is in flight or due, three polls in a row. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHarness(extra: Partial<QStashOptions> = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), "qstash-core-"));
  const redis = await startRedisServer({ dataDir, persist: false });
  const logs: string[] = [];
  const options: QStashOptions = { redisUrl: redis.url, onLog: (line) => logs.push(line), ...extra };
  const endpoint = new Receiver_();
  await endpoint.start();
  const harness: Harness = {
    redis,
    qstash: await startQStash(options),
    client: undefined as unknown as Client,
    receiver: undefined as unknown as Receiver,
    endpoint,
    logs,
    async restart(more = {}) {
      await harness.qstash.close();
      harness.qstash = await startQStash({ ...options, port: harness.qstash.port, ...more });
    },
    async advance(ms, schedules) {
      const response = await fetch(`${harness.qstash.url}/__dev/clock/advance`, {
        method: "POST",
        body: JSON.stringify({ ms, ...(schedules && { schedules }) }),
      });
      if (!response.ok) throw new Error(`advance failed: ${response.status}`);
    },
    async pending() {
      return (await (await fetch(`${harness.qstash.url}/__dev/pending`)).json()) as Awaited<
        ReturnType<Harness["pending"]>
      >;
    },
    async settle() {
      for (let quiet = 0; quiet < 3; ) {
        const pending = await harness.pending();
        quiet = pending.inFlight === 0 && pending.dueNow === 0 ? quiet + 1 : 0;
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    },
    async stop() {
      try {
        await harness.qstash.close().catch(() => undefined);
        await endpoint.stop().catch(() => undefined);
      } finally {
        await redis.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  harness.client = new Client({ baseUrl: harness.qstash.url, token: harness.qstash.token, retry: false });
  harness.receiver = new Receiver({
    currentSigningKey: harness.qstash.currentSigningKey,
    nextSigningKey: harness.qstash.nextSigningKey,
  });
  return harness;
}

export async function api(
  harness: Harness,
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${harness.qstash.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${harness.qstash.token}`, ...(init.headers ?? {}) },
    body: init.body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json: json as Record<string, unknown> & unknown[] };
}
