import { PayloadTooLargeError } from "../errors";
import { HttpError, ValidationError } from "./errors";

/** Default largest request body: QStash's smallest plan takes 1 MB messages, and a body becomes one. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
/** Deeper JSON than this is refused before parsing (no real input nests this deep). */
export const MAX_JSON_DEPTH = 64;

export interface BodyLimits {
  maxBytes?: number;
}

/** Reads a request body as text, refusing more than `maxBytes` (413) without reading the rest. */
export async function readTextBody(request: Request, limits: BodyLimits = {}): Promise<string> {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  return readCapped(request, maxBytes);
}

/**
 * Parses a JSON body (empty = `fallback`). A non-empty body must be declared JSON (415), so a form post
 * or a browser's text/plain request cannot pass for an API call; bad JSON and absurd nesting are 400.
 */
export function parseJsonBody(request: Request, text: string, fallback: unknown = {}): unknown {
  if (text.trim() === "") return fallback;
  if (!isJsonContentType(request.headers.get("content-type"))) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      'Send the body as JSON with "Content-Type: application/json".',
      [{ path: "content-type", message: "must be application/json" }],
    );
  }
  if (nestingDepth(text) > MAX_JSON_DEPTH) {
    throw new ValidationError(`The body nests deeper than ${MAX_JSON_DEPTH} levels.`, [
      { path: "", message: `nested deeper than ${MAX_JSON_DEPTH} levels` },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError("The body is not valid JSON.", [{ path: "", message: "not valid JSON" }]);
  }
}

function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const type = value.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

async function readCapped(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch(() => {
      // The caller went away or sent a broken body: nothing of a dependency failed.
      throw new ValidationError("The request body could not be read.", [
        { path: "", message: "unreadable body" },
      ]);
    });
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The body is larger than ${maxBytes} bytes.`, maxBytes);
}

/** The deepest bracket nesting outside strings (a linear scan, so a hostile body cannot blow the stack). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 92) index++;
      else if (char === 34) inString = false;
    } else if (char === 34) inString = true;
    else if (char === 91 || char === 123) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (char === 93 || char === 125) depth--;
  }
  return deepest;
}
