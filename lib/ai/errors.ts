/** Typed errors of the AI layer, each an OvertimeError with a stable code; each message says what to change. */
import { ConflictError, NotFoundError, OvertimeError } from "../errors";

/** The agent's options cannot work (the message says which and why). */
export class AgentConfigError extends OvertimeError {
  static override readonly code = "agent_config_invalid";
  constructor(message: string) {
    super(AgentConfigError.code, message);
  }
}

/** The provider answered an offloaded call with an error other than a rate limit. */
export class ModelCallError extends OvertimeError {
  static override readonly code = "model_call_failed";
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(ModelCallError.code, `The model answered ${status}: ${body.slice(0, 500)}`);
  }
}

/** Offload needs to swap the provider's fetch; models without a provider config cannot be offloaded. */
export class OffloadUnsupportedError extends OvertimeError {
  static override readonly code = "offload_unsupported";
  constructor(modelId: string) {
    super(
      OffloadUnsupportedError.code,
      `Model "${modelId}" cannot be offloaded: its provider does not expose a fetch setting. ` +
        'Use an @ai-sdk provider model (e.g. createOpenAI(...)("gpt-4o-mini")) or mode: "inline".',
    );
  }
}

export class UnknownToolError extends OvertimeError {
  static override readonly code = "unknown_tool";
  constructor(toolName: string, known: string[]) {
    super(
      UnknownToolError.code,
      `The model called tool "${toolName}", which the agent does not offer (tools: ${known.join(", ") || "none"}).`,
    );
  }
}

/** No pending approval for that run and tool call (a NotFoundError: answered 404). */
export class ApprovalNotFoundError extends NotFoundError {}

/** The approval was decided already (a ConflictError: answered 409). */
export class ApprovalAlreadyDecidedError extends ConflictError {}
