import type { Outcome, RedisBackend } from "./backend";
import { refusalFor } from "./commands";
import { type JsonValue, type ResponseEntry, toResponseEntry } from "./encoding";
import type { ScriptAliases } from "./script-aliases";
import type { StatsRecorder } from "./stats";
import type { CommandArgs, PreparedCommand, ResponseEncoding } from "./types";
import { rewriteUpstashOnlyForms } from "./upstash-compat";

export interface Reply {
  status: number;
  body: JsonValue;
}

/**
 * Runs already-parsed commands the way the three Upstash endpoints do and shapes their JSON:
 * refusal policy first, then Upstash-only rewrites, then Redis, then encoding.
 */
export class CommandExecutor {
  constructor(
    private readonly backend: RedisBackend,
    private readonly aliases: ScriptAliases,
    private readonly stats: StatsRecorder,
  ) {}

  /** `POST /`: 200 `{result}`, or 400 `{error}` when the command failed. */
  async single(command: CommandArgs, encoding: ResponseEncoding): Promise<Reply> {
    const refusal = refusalFor(command);
    if (refusal) return this.failed(refusal);
    const outcome = await this.backend.run(this.prepare(command));
    this.countSent([command]);
    const entry = this.toEntry(outcome, encoding);
    return { status: "error" in entry ? 400 : 200, body: entry };
  }

  /** `POST /pipeline`: always 200 with one `{result}` or `{error}` per command, in order. */
  async pipeline(commands: CommandArgs[], encoding: ResponseEncoding): Promise<Reply> {
    const refusals = commands.map(refusalFor);
    const runnable = commands.filter((_, index) => refusals[index] === undefined);
    const outcomes =
      runnable.length === 0
        ? []
        : await this.backend.runAll(runnable.map((command) => this.prepare(command)));
    this.countSent(runnable);
    let next = 0;
    const entries = refusals.map((refusal): ResponseEntry => {
      if (refusal !== undefined) return this.refusedEntry(refusal);
      return this.toEntry(outcomes[next++] ?? missingOutcome(), encoding);
    });
    return { status: 200, body: entries };
  }

  /**
   * `POST /multi-exec`: 200 with per-command entries when the transaction ran (runtime errors are
   * entries, the other commands still apply); 400 `{error}` when it was discarded as a whole, which
   * is also what a refused command causes, before anything runs.
   */
  async transaction(commands: CommandArgs[], encoding: ResponseEncoding): Promise<Reply> {
    for (const [index, command] of commands.entries()) {
      const refusal = refusalFor(command);
      if (refusal)
        return this.failed(`${refusal} (command ${index + 1} of the transaction; nothing was executed)`);
    }
    const outcome = await this.backend.runTransaction(commands.map((command) => this.prepare(command)));
    this.countSent(commands);
    if ("discardedBecause" in outcome) return this.failed(outcome.discardedBecause);
    return { status: 200, body: outcome.replies.map((reply) => this.toEntry(reply, encoding)) };
  }

  private prepare(command: CommandArgs): PreparedCommand {
    return this.aliases.prepare(rewriteUpstashOnlyForms(command));
  }

  private toEntry(outcome: Outcome, encoding: ResponseEncoding): ResponseEntry {
    const entry =
      "error" in outcome ? { error: outcome.error.message } : toResponseEntry(outcome.reply, encoding);
    if ("error" in entry) this.stats.commandError();
    return entry;
  }

  private refusedEntry(refusal: string): ResponseEntry {
    this.stats.commandError();
    return { error: refusal };
  }

  private failed(message: string): Reply {
    return { status: 400, body: this.refusedEntry(message) };
  }

  private countSent(commands: CommandArgs[]): void {
    for (const command of commands) this.stats.command(command[0]);
  }
}

function missingOutcome(): never {
  throw new Error("the backend returned fewer outcomes than commands");
}
