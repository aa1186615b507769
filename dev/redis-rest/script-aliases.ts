import { scriptSha, stripUpstashOnlyFlags } from "./lua";
import type { CommandArgs, PreparedCommand, RedisReply } from "./types";

const DEFAULT_CAPACITY = 10_000;

/**
 * Rewrites scripting commands so scripts written for Upstash run on stock Redis while the client
 * keeps using the SHA it computed from the ORIGINAL text: Redis only ever sees the rewritten script
 * (see lua.ts), so EVALSHA, SCRIPT EXISTS and SCRIPT LOAD translate between the two SHAs.
 *
 * The map is a cache: a miss just yields Redis' NOSCRIPT, on which both the SDK's
 * `createScript().exec` and @upstash/ratelimit fall back to EVAL, which fills it again. That also
 * covers SCRIPT FLUSH and a restarted Redis.
 */
export class ScriptAliases {
  private readonly rewrittenShaByOriginal = new Map<string, string>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  prepare(command: CommandArgs): PreparedCommand {
    const name = command[0].toUpperCase();
    if (name === "EVAL" || name === "EVAL_RO") return { args: this.withScriptAt(command, 1) };
    if (name === "EVALSHA" || name === "EVALSHA_RO") return { args: this.withShaAt(command, 1) };
    if (name !== "SCRIPT") return { args: command };
    const subcommand = (command[1] ?? "").toUpperCase();
    if (subcommand === "LOAD") return this.prepareScriptLoad(command);
    if (subcommand === "EXISTS") return { args: this.withShasFrom(command, 2) };
    return { args: command };
  }

  /** The SHA Redis knows a script by, given the SHA the client computed (case-insensitive). */
  backendSha(clientSha: string): string {
    return this.rewrittenShaByOriginal.get(clientSha.toLowerCase()) ?? clientSha;
  }

  private prepareScriptLoad(command: CommandArgs): PreparedCommand {
    const script = command[2];
    if (script === undefined || stripUpstashOnlyFlags(script) === script) return { args: command };
    const originalSha = scriptSha(script);
    // Redis answers with the SHA of what it loaded; the client expects the SHA of what it sent.
    const mapReply = (reply: RedisReply): RedisReply =>
      Buffer.isBuffer(reply) ? Buffer.from(originalSha) : reply;
    return { args: this.withScriptAt(command, 2), mapReply };
  }

  private withScriptAt(command: CommandArgs, index: number): CommandArgs {
    const script = command[index];
    if (script === undefined) return command;
    const rewritten = stripUpstashOnlyFlags(script);
    if (rewritten === script) return command;
    this.remember(scriptSha(script), scriptSha(rewritten));
    return replaceAt(command, index, rewritten);
  }

  private withShaAt(command: CommandArgs, index: number): CommandArgs {
    const sha = command[index];
    return sha === undefined ? command : replaceAt(command, index, this.backendSha(sha));
  }

  private withShasFrom(command: CommandArgs, start: number): CommandArgs {
    const [name, ...args] = command;
    return [name, ...args.map((arg, index) => (index + 1 >= start ? this.backendSha(arg) : arg))];
  }

  private remember(originalSha: string, rewrittenSha: string): void {
    this.rewrittenShaByOriginal.delete(originalSha);
    this.rewrittenShaByOriginal.set(originalSha, rewrittenSha);
    if (this.rewrittenShaByOriginal.size <= this.capacity) return;
    const oldest = this.rewrittenShaByOriginal.keys().next();
    if (!oldest.done) this.rewrittenShaByOriginal.delete(oldest.value);
  }
}

function replaceAt(command: CommandArgs, index: number, value: string): CommandArgs {
  const copy: CommandArgs = [...command];
  copy[index] = value;
  return copy;
}
