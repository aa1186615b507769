/**
 * What a failure says, fit to show: the message only, never a stack trace, and no absolute server path
 * (paths under the project become relative). Used for everything a run record, the API and the
 * dashboard show about errors, whether it comes from a thrown error or a response body QStash logged.
 */
const MAX_CHARS = 2_000;
const STACK_FRAME = /\n\s+at [\s\S]*$/;
const ABSOLUTE_PATH = /(?<=^|[\s'"(=:])(?:file:\/\/)?(?:\/[\w.@+-]+){2,}\/([\w.@+-]+)/g;

export function errorText(raw: unknown, root = projectRoot()): string {
  const text = messageOf(raw);
  const withoutStack = text.replace(STACK_FRAME, "");
  const relative = root
    ? withoutStack.split(`file://${root}/`).join("").split(`${root}/`).join("")
    : withoutStack;
  // Any other absolute path (outside the project, or a build directory) keeps only its file name.
  const clean = relative.replace(ABSOLUTE_PATH, "…/$1").trim();
  return clean.length > MAX_CHARS ? `${clean.slice(0, MAX_CHARS)}…` : clean || "Unknown error";
}

/** A thrown error's message, or the message of an error body the workflow SDK answered with. */
function messageOf(raw: unknown): string {
  if (raw instanceof Error) return raw.message;
  const text = typeof raw === "string" ? raw : (JSON.stringify(raw) ?? "");
  if (!text.startsWith("{")) return text;
  try {
    const body = JSON.parse(text) as { message?: unknown };
    return typeof body.message === "string" ? body.message : text;
  } catch {
    return text;
  }
}

function projectRoot(): string {
  return typeof process !== "undefined" && typeof process.cwd === "function" ? process.cwd() : "";
}

/**
 * The workflow SDK answers a failed step with `{ error, message, stack }`; QStash keeps that body in its
 * logs and DLQ and hands it to the failure callback. This sends the same answer without the stack and
 * with a clean message, keeping status and headers (the SDK names the failed step in one).
 */
export async function withoutStack(response: Response): Promise<Response> {
  if (response.status < 400) return response;
  const text = await response.clone().text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // A text answer (some of the SDK's own errors name server paths): the same text, cleaned.
    const clean = errorText(text);
    return clean === text
      ? response
      : new Response(clean, { status: response.status, headers: response.headers });
  }
  if (typeof body !== "object" || body === null || !("stack" in body)) return response;
  const { stack: _stack, ...rest } = body as Record<string, unknown>;
  const clean = { ...rest, ...("message" in rest && { message: errorText(rest.message) }) };
  return new Response(JSON.stringify(clean), { status: response.status, headers: bodyless(response) });
}

/** The response's headers without those that describe the old body. */
function bodyless(response: Response): Headers {
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return headers;
}
