/** The id `GET /v1/models` lists. Any model id is accepted in requests. */
export const DEV_MODEL_ID = "overtime-dev-model";

/**
 * Appended to the requested model id in the `model` field of every completion, so a log, a trace or
 * a dashboard showing that field can never pass the dev model's output off as an LLM's:
 * `gpt-4o-mini (overtime-dev-model, deterministic, not an LLM)`.
 */
export const NOT_AN_LLM_SUFFIX = ` (${DEV_MODEL_ID}, deterministic, not an LLM)`;

export function reportedModel(requested: string): string {
  return `${requested}${NOT_AN_LLM_SUFFIX}`;
}
