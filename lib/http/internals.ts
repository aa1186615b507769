/**
 * The Upstash SDK answers a failed step with `{ error, message, stack }`, and a few of its own errors
 * with text that names server paths. QStash keeps that body (logs, DLQ) and hands it to the failure
 * function, so an error response of the workflow endpoint keeps `error` and `message` but loses the
 * stack, and absolute paths in any message become `<server>/…`.
 */
export async function withoutInternals(response: Response): Promise<Response> {
  if (response.status < 400) return response;
  const text = await response.text();
  let body = text;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      const { stack: _stack, ...rest } = parsed as Record<string, unknown>;
      body = JSON.stringify(rest);
    }
  } catch {
    // Not JSON: keep the text, without paths.
  }
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(scrubPaths(body), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

const ABSOLUTE_PATH =
  /(?<![\w:./-])(?:file:\/\/)?(?:\/(?:[\w.@+-]+\/)+[\w.@+-]+|[A-Za-z]:\\(?:[\w.@+-]+\\)+[\w.@+-]+)/g;
const STACK_FRAME = /\n\s+at .*/g;

/** Drops stack frames and replaces absolute file paths (`/home/…/x.js`, `C:\…`) in a text. */
export function scrubPaths(text: string): string {
  return text
    .replace(STACK_FRAME, "")
    .replace(ABSOLUTE_PATH, (path) => `<server>/${path.split(/[\\/]/).pop()}`);
}
