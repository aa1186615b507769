import { Command, Redis, type RedisOptions } from "ioredis";
import { BackendUnavailableError } from "./errors";
import type { CommandArgs, PreparedCommand, RedisReply } from "./types";

/** A command's outcome: its reply, or the error reply Redis answered with. */
export type Outcome = { reply: RedisReply } | { error: Error };

export type TransactionOutcome = { replies: Outcome[] } | { discardedBecause: string };

/** Gives up on Redis answering one command; Upstash's own deadline is not documented. */
const COMMAND_DEADLINE_MS = 30_000;

/**
 * Options shared by every backend connection. RESP2 because the REST API answers RESP2 shapes
 * (ioredis 6 defaults to RESP3, which turns HGETALL, XREAD... into maps); integers as strings to
 * keep int64 values exact; no offline queue and no resending, so a Redis outage fails requests
 * fast with a 503 instead of queueing or running non-idempotent commands twice.
 */
const SHARED_OPTIONS: RedisOptions = {
  protocol: 2,
  stringNumbers: true,
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
};

/**
 * The one multiplexed connection every REST request shares. Redis executes commands one at a time,
 * so a single pipelined connection serves single commands, pipelines and transactions; only
 * subscribers get their own connection.
 */
export class RedisBackend {
  private readonly connection: Redis;
  private outageLogged = false;

  constructor(
    private readonly url: string,
    private readonly log: (line: string) => void,
  ) {
    this.connection = new Redis(url, {
      ...SHARED_OPTIONS,
      connectionName: "upstash-rest-stand-in",
      commandTimeout: COMMAND_DEADLINE_MS,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    });
    this.connection.on("ready", () => this.onReady());
    this.connection.on("error", (error: Error) => this.onConnectionError(error));
  }

  get status(): string {
    return this.connection.status;
  }

  /**
   * Resolves once connected, at the first connection error, or after `timeoutMs`: a Redis that is
   * down must not block start-up; requests answer 503 until it is up.
   */
  waitUntilReady(timeoutMs: number): Promise<void> {
    if (this.connection.status === "ready") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.connection.off("ready", done);
        this.connection.off("error", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.connection.once("ready", done);
      this.connection.once("error", done);
    });
  }

  async run(command: PreparedCommand): Promise<Outcome> {
    this.assertReady();
    const [outcome] = await settle([this.send(command)]);
    return finalOutcome(outcome, command);
  }

  /** Runs commands in order; each gets its own outcome, as in an Upstash pipeline. */
  async runAll(commands: PreparedCommand[]): Promise<Outcome[]> {
    this.assertReady();
    // Issued in one synchronous loop so they leave back to back on the connection.
    const outcomes = await settle(commands.map((command) => this.send(command)));
    return outcomes.map((outcome, index) => finalOutcome(outcome, commands[index]));
  }

  /**
   * MULTI, the commands and EXEC are written in one synchronous loop on the shared connection, so
   * no other request's command can land inside the transaction.
   */
  async runTransaction(commands: PreparedCommand[]): Promise<TransactionOutcome> {
    this.assertReady();
    const chain = [
      this.sendRaw(["MULTI"]),
      ...commands.map((command) => this.send(command)),
      this.sendRaw(["EXEC"]),
    ];
    const outcomes = await settle(chain);
    const queued = outcomes.slice(1, -1);
    const exec = outcomes[outcomes.length - 1];
    const firstQueueError = queued.findIndex((outcome) => "error" in outcome);
    if (firstQueueError !== -1 || exec === undefined || "error" in exec || exec.reply === null) {
      return { discardedBecause: discardReason(queued, firstQueueError, commands, exec) };
    }
    const replies = Array.isArray(exec.reply) ? exec.reply : [];
    return { replies: replies.map((reply, index) => finalOutcome(replyOutcome(reply), commands[index])) };
  }

  /** A dedicated connection for one subscriber stream; it does not reconnect. */
  async openSubscriber(): Promise<Redis> {
    const subscriber = new Redis(this.url, {
      ...SHARED_OPTIONS,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    subscriber.on("error", () => {}); // connect() and the stream's close handler report failures
    try {
      await subscriber.connect();
      return subscriber;
    } catch (error) {
      subscriber.disconnect();
      throw new BackendUnavailableError((error as Error).message);
    }
  }

  close(): void {
    this.connection.disconnect();
  }

  private send(command: PreparedCommand): Promise<RedisReply> {
    const original = command.args[0];
    return this.sendRaw(command.args).catch((error: unknown) => {
      throw restoreCommandName(error, original);
    });
  }

  private sendRaw([name, ...args]: CommandArgs | [string]): Promise<RedisReply> {
    // Upper case on purpose: ioredis applies reply transformers (HGETALL -> object, ...) to
    // commands named exactly in lower case, which is how the Upstash SDK spells them.
    const command = new Command(name.toUpperCase(), args);
    this.connection.sendCommand(command);
    return command.promise as Promise<RedisReply>;
  }

  private assertReady(): void {
    if (this.connection.status !== "ready") {
      throw new BackendUnavailableError(`cannot reach ${this.url} (connection ${this.connection.status})`);
    }
  }

  private onReady(): void {
    this.log(this.outageLogged ? `reconnected to ${this.url}` : `connected to ${this.url}`);
    this.outageLogged = false;
  }

  private onConnectionError(error: Error): void {
    if (this.outageLogged) return;
    this.outageLogged = true;
    this.log(`cannot reach ${this.url}: ${error.message} (retrying; requests get 503 meanwhile)`);
  }
}

/** Waits for every reply; Redis error replies become outcomes, anything else means Redis is gone. */
async function settle(replies: Promise<RedisReply>[]): Promise<Outcome[]> {
  const results = await Promise.allSettled(replies);
  return results.map((result) => {
    if (result.status === "fulfilled") return { reply: result.value };
    if (isReplyError(result.reason)) return { error: result.reason };
    throw new BackendUnavailableError(String((result.reason as Error)?.message ?? result.reason));
  });
}

function replyOutcome(reply: RedisReply): Outcome {
  return reply instanceof Error ? { error: reply } : { reply };
}

function finalOutcome(outcome: Outcome | undefined, command: PreparedCommand | undefined): Outcome {
  if (outcome === undefined) throw new Error("a command has no outcome");
  if ("error" in outcome || !command?.mapReply) return outcome;
  return { reply: command.mapReply(outcome.reply) };
}

function discardReason(
  queued: Outcome[],
  firstQueueError: number,
  commands: PreparedCommand[],
  exec: Outcome | undefined,
): string {
  const queueOutcome = queued[firstQueueError];
  const command = commands[firstQueueError];
  if (queueOutcome && "error" in queueOutcome && command) {
    return (
      "EXECABORT Transaction discarded because of previous errors: " +
      `command ${firstQueueError + 1} (${command.args[0]}) failed: ${queueOutcome.error.message}`
    );
  }
  if (exec && "error" in exec) return exec.error.message;
  return "EXECABORT Transaction discarded";
}

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === "ReplyError";
}

/** Redis echoes an unknown command's name as sent; give back the client's spelling, not ours. */
function restoreCommandName(error: unknown, original: string): unknown {
  if (!isReplyError(error) || !error.message.startsWith("ERR unknown command")) return error;
  error.message = error.message.replace(`'${original.toUpperCase()}'`, `'${original}'`);
  return error;
}
