/** Typed errors of the AI layer; each message says what to change. */

export class AgentConfigError extends Error {
  override name = "AgentConfigError";
}

/** The provider answered an offloaded call with an error other than a rate limit. */
export class ModelCallError extends Error {
  override name = "ModelCallError";
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`The model answered ${status}: ${body.slice(0, 500)}`);
  }
}

/** Offload needs to swap the provider's fetch; models without a provider config cannot be offloaded. */
export class OffloadUnsupportedError extends Error {
  override name = "OffloadUnsupportedError";
  constructor(modelId: string) {
    super(
      `Model "${modelId}" cannot be offloaded: its provider does not expose a fetch setting. ` +
        'Use an @ai-sdk provider model (e.g. createOpenAI(...)("gpt-4o-mini")) or mode: "inline".',
    );
  }
}

export class UnknownToolError extends Error {
  override name = "UnknownToolError";
  constructor(toolName: string, known: string[]) {
    super(
      `The model called tool "${toolName}", which the agent does not offer (tools: ${known.join(", ") || "none"}).`,
    );
  }
}

export class ApprovalNotFoundError extends Error {
  override name = "ApprovalNotFoundError";
}

export class ApprovalAlreadyDecidedError extends Error {
  override name = "ApprovalAlreadyDecidedError";
}
