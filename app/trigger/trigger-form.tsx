"use client";

import { checkField, type FormField, initialText, type RawValue } from "overtime/dashboard";
import { useActionState, useState } from "react";
import { type TriggerState, triggerAction } from "@/app/_actions/trigger";
import { TAGS_FIELD } from "@/app/_lib/trigger-fields";

/**
 * Fields from the workflow's input schema. Each is checked when it loses focus; the server checks the
 * whole input with the zod schema itself and its messages appear under the same fields.
 */
export function TriggerForm({ workflow, fields }: { workflow: string; fields: FormField[] }) {
  const [state, action, pending] = useActionState<TriggerState, FormData>(
    triggerAction.bind(null, workflow),
    {
      problems: {},
      values: {},
    },
  );
  const [local, setLocal] = useState<Record<string, string | undefined>>({});
  const problemOf = (field: FormField) =>
    field.name in local ? local[field.name] : state.problems[field.name];
  const onBlur = (field: FormField, raw: RawValue) =>
    setLocal((previous) => ({ ...previous, [field.name]: checkField(field, raw) }));

  return (
    <form
      action={action}
      className="form"
      noValidate
      onSubmit={() => setLocal({})}
      aria-describedby={state.error ? "trigger-error" : undefined}
    >
      {fields.length === 0 && <p className="muted">This workflow takes no input.</p>}
      {fields.map((field) => (
        <Field
          key={field.name || "input"}
          field={field}
          problem={problemOf(field)}
          submitted={state.values[field.name]}
          onBlur={onBlur}
        />
      ))}
      <div className={`field ${state.problems[TAGS_FIELD] ? "invalid" : ""}`}>
        <label htmlFor="trigger-tags">Tags (optional, comma-separated)</label>
        <input
          id="trigger-tags"
          name={TAGS_FIELD}
          placeholder="team:alpha, nightly"
          defaultValue={String(state.values[TAGS_FIELD] ?? "")}
          aria-invalid={state.problems[TAGS_FIELD] ? true : undefined}
          aria-describedby={state.problems[TAGS_FIELD] ? "trigger-tags-problem" : undefined}
        />
        {state.problems[TAGS_FIELD] && (
          <span className="field-error" id="trigger-tags-problem" role="alert">
            {state.problems[TAGS_FIELD]}
          </span>
        )}
      </div>
      {state.error && (
        <p className="notice bad" id="trigger-error" role="alert">
          {state.error}
        </p>
      )}
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Starting…" : `Start ${workflow}`}
      </button>
    </form>
  );
}

interface FieldProps {
  field: FormField;
  problem?: string;
  submitted?: RawValue;
  onBlur(field: FormField, raw: RawValue): void;
}

function Field({ field, problem, submitted, onBlur }: FieldProps) {
  const id = `field-${field.name || "input"}`;
  const label = field.name || "Input (JSON)";
  const describedBy = [problem && `${id}-error`, field.description && `${id}-help`].filter(Boolean).join(" ");
  const common = {
    id,
    name: field.name,
    "aria-invalid": problem ? true : undefined,
    "aria-describedby": describedBy || undefined,
  };
  const text = typeof submitted === "string" ? submitted : initialText(field);
  return (
    <div className={`field ${problem ? "invalid" : ""}`}>
      {field.kind === "boolean" ? (
        <label className="checkbox">
          <input
            type="checkbox"
            {...common}
            defaultChecked={submitted === undefined ? field.defaultValue === true : submitted === true}
          />
          <span>{label}</span>
        </label>
      ) : (
        <>
          <label htmlFor={id}>
            {label}
            {field.required && <span className="required"> *</span>}
            <span className="hint">{hintFor(field)}</span>
          </label>
          <Input field={field} common={common} text={text} onBlur={onBlur} />
        </>
      )}
      {field.description && (
        <span className="help" id={`${id}-help`}>
          {field.description}
        </span>
      )}
      {problem && (
        <span className="field-error" id={`${id}-error`} role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}

function Input({
  field,
  common,
  text,
  onBlur,
}: {
  field: FormField;
  common: Record<string, unknown>;
  text: string;
  onBlur: FieldProps["onBlur"];
}) {
  const blur = (event: { currentTarget: { value: string } }) => onBlur(field, event.currentTarget.value);
  if (field.kind === "select") {
    return (
      <select {...common} defaultValue={text} onBlur={blur}>
        {!field.required && <option value="">—</option>}
        {field.options?.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    );
  }
  if (field.kind === "json" || field.kind === "textarea") {
    return (
      <textarea
        {...common}
        defaultValue={text}
        rows={field.kind === "json" ? 6 : 4}
        placeholder={field.example}
        onBlur={blur}
        spellCheck={false}
      />
    );
  }
  const numeric = field.kind === "number" || field.kind === "integer";
  return (
    <input
      {...common}
      type="text"
      inputMode={numeric ? (field.kind === "integer" ? "numeric" : "decimal") : undefined}
      defaultValue={text}
      onBlur={blur}
      autoComplete="off"
    />
  );
}

function hintFor(field: FormField): string {
  const parts: string[] = [];
  if (field.kind === "integer") parts.push("whole number");
  if (field.kind === "number") parts.push("number");
  if (field.kind === "json") parts.push("JSON");
  if (field.minLength !== undefined && field.maxLength !== undefined)
    parts.push(`${field.minLength}–${field.maxLength} characters`);
  else if (field.maxLength !== undefined) parts.push(`up to ${field.maxLength} characters`);
  if (field.minimum !== undefined) parts.push(`≥ ${field.minimum}`);
  if (field.maximum !== undefined) parts.push(`≤ ${field.maximum}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}
