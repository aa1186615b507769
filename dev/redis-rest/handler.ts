import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { presentedToken, tokenMatches } from "./auth";
import type { RedisBackend } from "./backend";
import { stringifyJson } from "./encoding";
import {
  BadRequestError,
  ClientAbortedError,
  HttpError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
} from "./errors";
import { CommandExecutor, type Reply } from "./executor";
import { readBody, sendJson } from "./http-io";
import { parseCommandList, parseJson, parseSingleCommand } from "./request-body";
import { matchRoute, responseEncoding } from "./routes";
import { ScriptAliases } from "./script-aliases";
import { serveSubscription } from "./sse";
import type { StatsRecorder } from "./stats";
import type { ResponseEncoding } from "./types";

export interface Settings {
  token: string;
  port: number;
  host: string;
  maxBodyBytes: number;
}

/** Answers one HTTP request: dev endpoints, auth, body limits, then the Upstash endpoints. */
export class RequestHandler {
  private readonly executor: CommandExecutor;
  private readonly syncTokenPrefix = randomBytes(4).toString("hex");
  private syncTokenCounter = 0;

  constructor(
    private readonly settings: Settings,
    private readonly backend: RedisBackend,
    private readonly stats: StatsRecorder,
    private readonly log: (line: string) => void,
  ) {
    this.executor = new CommandExecutor(backend, new ScriptAliases(), stats);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A fresh opaque value on every response: the SDK stores it for read-your-writes, and a single
    // local Redis needs no replica coordination, so the incoming value is ignored.
    res.setHeader("Upstash-Sync-Token", `${this.syncTokenPrefix}-${++this.syncTokenCounter}`);
    try {
      const url = requestUrl(req);
      if (url.pathname.startsWith("/__dev/")) this.serveDev(req, res, url.pathname);
      else await this.serveApi(req, res, url);
    } catch (error) {
      this.fail(req, res, error);
    }
  }

  /** Dev-only endpoints, without auth: the server only listens on loopback by default. */
  private serveDev(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (path !== "/__dev/health" && path !== "/__dev/stats") throw new NotFoundError(path);
    if (req.method !== "GET") throw new MethodNotAllowedError(req.method ?? "?", path, "GET");
    const body = path === "/__dev/health" ? { ok: true, redis: this.backend.status } : this.stats.snapshot();
    sendJson(res, 200, JSON.stringify(body));
  }

  private async serveApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    this.stats.request();
    const route = matchRoute(url.pathname);
    if (req.method !== "POST") throw new MethodNotAllowedError(req.method ?? "?", url.pathname, "POST");
    if (!tokenMatches(presentedToken(req, url), this.settings.token)) throw new UnauthorizedError();
    const raw = await readBody(req, this.settings.maxBodyBytes);
    this.stats.bytesIn(raw.length);
    if (route.kind === "subscribe" || route.kind === "psubscribe") {
      this.stats.endpoint("subscribe");
      await serveSubscription(res, route.kind, route.target, {
        backend: this.backend,
        stats: this.stats,
        log: this.log,
      });
      return;
    }
    this.send(res, await this.execute(route.kind, parseJson(raw), responseEncoding(req)));
  }

  private execute(kind: "single" | "pipeline" | "multi-exec", body: unknown, encoding: ResponseEncoding) {
    if (kind === "single") {
      this.stats.endpoint("single");
      return this.executor.single(parseSingleCommand(body), encoding);
    }
    if (kind === "pipeline") {
      this.stats.endpoint("pipeline");
      return this.executor.pipeline(parseCommandList(body), encoding);
    }
    this.stats.endpoint("multiExec");
    return this.executor.transaction(parseCommandList(body), encoding);
  }

  private send(res: ServerResponse, reply: Reply, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    this.stats.response(reply.status);
    this.stats.bytesOut(sendJson(res, reply.status, stringifyJson(reply.body), headers));
  }

  private fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (error instanceof ClientAbortedError) {
      req.destroy();
      return;
    }
    if (res.headersSent) {
      // A stream already started; it cannot carry an error body any more.
      res.destroy();
      return;
    }
    if (!(error instanceof HttpError)) {
      this.log(`internal error on ${req.method} ${req.url}: ${(error as Error)?.stack ?? String(error)}`);
    } else if (error.status >= 500) {
      this.log(`${error.status} on ${req.method} ${req.url}: ${error.message}`);
    }
    const status = error instanceof HttpError ? error.status : 500;
    const message = error instanceof Error ? error.message : String(error);
    const headers = error instanceof HttpError ? { ...error.headers } : {};
    if (error instanceof PayloadTooLargeError && error.closeConnection) headers.Connection = "close";
    this.send(res, { status, body: { error: message } }, headers);
  }
}

/** Parses the request target; `//x` must stay a path, not become a host. */
function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? "/";
  try {
    return new URL(target.startsWith("/") ? `http://stand-in.invalid${target}` : target);
  } catch {
    throw new BadRequestError(`ERR cannot parse the request target ${target}`);
  }
}
