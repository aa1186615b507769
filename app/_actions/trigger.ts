"use server";

import { redirect } from "next/navigation";
import { HttpError, ValidationError } from "overtime";
import { formFieldsFor, inputFromForm, problemsByField, type RawValue } from "overtime/dashboard";
import { assertActionAllowed, loadOvertime } from "@/app/_lib/server";
import { TAGS_FIELD } from "@/app/_lib/trigger-fields";

export interface TriggerState {
  /** Field name → message, shown under the field. */
  problems: Record<string, string>;
  /** A problem not tied to one field (rate limit, QStash unreachable). */
  error?: string;
  /** What was submitted, so the form keeps it after a failed attempt. */
  values: Record<string, RawValue>;
}

/** Starts a run from the trigger form; on success the browser moves to the new run's page. */
export async function triggerAction(
  workflow: string,
  _previous: TriggerState,
  form: FormData,
): Promise<TriggerState> {
  await assertActionAllowed();
  const loaded = loadOvertime();
  if (!loaded.ok) return { problems: {}, error: loaded.problem.message, values: {} };
  const { overtime } = loaded;
  const definition = overtime.registry.get(workflow);
  if (!definition) return { problems: {}, error: `No workflow named "${workflow}".`, values: {} };
  const fields = formFieldsFor(definition.input);
  const values: Record<string, RawValue> = {};
  for (const field of fields) {
    values[field.name] =
      field.kind === "boolean" ? form.get(field.name) === "on" : String(form.get(field.name) ?? "");
  }
  const tagsText = String(form.get(TAGS_FIELD) ?? "");
  values[TAGS_FIELD] = tagsText;
  const tags = tagsText
    .split(",")
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");
  const built = inputFromForm(fields, values);
  if (Object.keys(built.problems).length > 0) return { problems: built.problems, values };
  let runId: string;
  try {
    await overtime.limitCaller("dashboard");
    ({ runId } = await overtime.start({
      workflow,
      input: built.input,
      source: "api",
      caller: "dashboard",
      tags,
    }));
  } catch (error) {
    if (error instanceof ValidationError) {
      const issues = error.issues ?? [];
      const tagIssue = issues.find((issue) => issue.path.startsWith("tags"));
      if (tagIssue) return { problems: { [TAGS_FIELD]: `Tags: ${tagIssue.message}` }, values };
      return { problems: problemsByField(issues), values };
    }
    if (error instanceof HttpError) return { problems: {}, error: error.message, values };
    throw error;
  }
  redirect(`/runs/${encodeURIComponent(runId)}`);
}
