import { z } from "zod";
import { ValidationError } from "../errors";

/** Short lowercase labels: they are index key parts and filter values, so their alphabet is narrow. */
export const TAG_PATTERN = /^[a-z0-9:_.-]{1,64}$/;
export const MAX_TAGS = 20;
/** The trigger header (and what a schedule forwards): comma-separated tags. */
export const TAGS_HEADER = "overtime-tags";

export const tagSchema = z.string().regex(TAG_PATTERN, "1-64 characters of a-z 0-9 : _ . -");

export const tagsSchema = z.array(tagSchema).min(1).max(MAX_TAGS);

/** The tags of a run, checked (400 naming the field) and deduplicated in their given order. */
export function parseTags(tags: unknown, field = "tags"): string[] {
  const parsed = tagsSchema.safeParse(tags);
  if (!parsed.success) throw prefixed(parsed.error, field);
  return [...new Set(parsed.data)];
}

function prefixed(error: z.ZodError, field: string): ValidationError {
  const base = ValidationError.fromZod(error, field);
  return new ValidationError(
    base.message,
    (base.issues ?? []).map((issue) => ({ ...issue, path: issue.path ? `${field}.${issue.path}` : field })),
  );
}

/** The `Overtime-Tags` header: comma-separated tags (the body stays the workflow input). */
export function tagsFromHeader(value: string | null): string[] | undefined {
  if (value === null) return undefined;
  return parseTags(
    value
      .split(",")
      .map((tag) => tag.trim())
      .filter((tag) => tag !== ""),
    "overtime-tags",
  );
}
