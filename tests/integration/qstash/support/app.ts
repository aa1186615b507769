import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Client as QStashClient, Receiver } from "@upstash/qstash";
import { type RouteFunction, serve, type WorkflowServeOptions } from "@upstash/workflow";
import { serve as nextServe, serveMany as nextServeMany } from "@upstash/workflow/nextjs";

/** A fetch-style handler: what a Next.js route handler or the generic `serve` hands back. */
export type Handler = (request: Request) => Promise<Response> | Response;

/** One request the app received (every one of them comes from the QStash stand-in). */
export interface RecordedRequest {
  path: string;
  method: string;
  headers: Headers;
  body: string;
  status: number;
  responseBody: string;
  /** Did the `Upstash-Signature` verify with the real `Receiver` (keys, expiry, body hash, subject)? */
  verified: boolean;
  verifyError?: string;
}

export interface TestAppOptions {
  qstashUrl: string;
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
}

type WorkflowOptions<T> = Pick<WorkflowServeOptions<T>, "failureFunction">;

/**
 * The application under test: a plain `node:http` server that mounts handlers by path (exact, or
 * a prefix when the path ends in `/*`), checks EVERY incoming request with a real
 * `@upstash/qstash` `Receiver`, and records what it saw.
 */
export class TestApp {
  readonly requests: RecordedRequest[] = [];
  readonly verification = { ok: 0, failed: 0, failures: [] as string[] };
  readonly qstashClient: QStashClient;
  readonly receiver: Receiver;
  private readonly routes = new Map<string, Handler>();
  private readonly inFlightByPath = new Map<string, number>();
  private readonly maxConcurrencyByPath = new Map<string, number>();
  private inFlightTotal = 0;
  private server: Server | undefined;
  url = "";

  constructor(options: TestAppOptions) {
    this.qstashClient = new QStashClient({ baseUrl: options.qstashUrl, token: options.token });
    this.receiver = new Receiver({
      currentSigningKey: options.currentSigningKey,
      nextSigningKey: options.nextSigningKey,
    });
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Full URL of a path on this app. */
  at(path: string): string {
    return `${this.url}${path}`;
  }

  route(path: string, handler: Handler): string {
    this.routes.set(path, handler);
    return this.at(path.replace(/\/\*$/, ""));
  }

  /** Mounts a workflow with the generic `serve` of `@upstash/workflow`. */
  workflow<T = unknown>(
    path: string,
    routeFunction: RouteFunction<T>,
    options: WorkflowOptions<T> = {},
  ): string {
    const { handler } = serve<T>(routeFunction, { ...options, ...this.sdkOptions() });
    return this.route(path, handler);
  }

  /** Mounts a workflow with the Next.js App Router adapter (`@upstash/workflow/nextjs`). */
  nextWorkflow<T = unknown>(
    path: string,
    routeFunction: RouteFunction<T>,
    options: WorkflowOptions<T> = {},
  ): string {
    const { POST } = nextServe<T>(routeFunction, { ...options, ...this.sdkOptions() });
    return this.route(path, POST);
  }

  /** Mounts `serveMany` (Next.js adapter) under `basePath/*`; each workflow lives at `basePath/<id>`. */
  nextServeMany(basePath: string, workflows: Parameters<typeof nextServeMany>[0]): string {
    const { POST } = nextServeMany(workflows, this.sdkOptions());
    return this.route(`${basePath}/*`, POST);
  }

  /** Requests received on a path (exact match, or prefix when it ends in `*`). */
  received(path: string): RecordedRequest[] {
    const prefix = path.endsWith("*") ? path.slice(0, -1) : undefined;
    return this.requests.filter((r) => (prefix ? r.path.startsWith(prefix) : r.path === path));
  }

  /** Every delivery of one workflow run, in arrival order. */
  deliveriesOf(runId: string): RecordedRequest[] {
    return this.requests.filter((r) => r.headers.get("upstash-workflow-runid") === runId);
  }

  /** Returns the verification failures so far and clears them (for tests that forge requests on purpose). */
  takeVerificationFailures(): string[] {
    this.verification.failed = 0;
    return this.verification.failures.splice(0);
  }

  maxConcurrency(path: string): number {
    return this.maxConcurrencyByPath.get(path) ?? 0;
  }

  get busy(): boolean {
    return this.inFlightTotal > 0;
  }

  private sdkOptions() {
    return { qstashClient: this.qstashClient, receiver: this.receiver };
  }

  private findHandler(path: string): Handler | undefined {
    const exact = this.routes.get(path);
    if (exact) return exact;
    for (const [route, handler] of this.routes) {
      if (route.endsWith("/*") && path.startsWith(route.slice(0, -1))) return handler;
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? "/";
    const path = target.split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    this.inFlightTotal++;
    const inFlight = (this.inFlightByPath.get(path) ?? 0) + 1;
    this.inFlightByPath.set(path, inFlight);
    this.maxConcurrencyByPath.set(path, Math.max(inFlight, this.maxConcurrencyByPath.get(path) ?? 0));
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const body = raw.toString("utf8");
      const headers = new Headers();
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
      }
      const url = this.at(target);

      const record: RecordedRequest = {
        path,
        method,
        headers,
        body,
        status: 0,
        responseBody: "",
        verified: false,
      };
      this.requests.push(record);
      try {
        const signature = headers.get("upstash-signature");
        if (!signature) throw new Error("no Upstash-Signature header");
        await this.receiver.verify({ signature, body, url });
        record.verified = true;
        this.verification.ok++;
      } catch (error) {
        record.verifyError = String(error);
        this.verification.failed++;
        this.verification.failures.push(`${method} ${target}: ${String(error)}`);
      }

      const handler = this.findHandler(path);
      const response = handler
        ? await handler(
            new Request(url, {
              method,
              headers,
              body: method === "GET" || method === "HEAD" ? undefined : raw,
            }),
          )
        : new Response(`no route for ${path}`, { status: 404 });
      const text = await response.text();
      record.status = response.status;
      record.responseBody = text;
      res.statusCode = response.status;
      response.headers.forEach((value, key) => {
        if (key !== "content-length" && key !== "transfer-encoding") res.setHeader(key, value);
      });
      res.end(text);
    } finally {
      this.inFlightTotal--;
      this.inFlightByPath.set(path, (this.inFlightByPath.get(path) ?? 1) - 1);
    }
  }
}

/**
 * A stand-in for a third-party API called with `context.call`: `/third-party/<status>` answers that
 * status with a JSON body echoing the request and a custom lower-case header.
 */
export function thirdPartyHandler(): Handler {
  return async (request) => {
    const status = Number(new URL(request.url).pathname.split("/").pop());
    const body = await request.text();
    return new Response(
      JSON.stringify({ status, method: request.method, echo: body, test: request.headers.get("x-test") }),
      { status, headers: { "content-type": "application/json", "x-custom-header": `custom-${status}` } },
    );
  };
}
