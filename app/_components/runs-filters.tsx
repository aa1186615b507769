"use client";

import Link from "next/link";
import { RUN_STATUSES, type RunStatus, TRIGGER_SOURCES, type TriggerSource } from "overtime";
import type { ChangeEvent } from "react";

interface Props {
  workflows: string[];
  workflow?: string;
  status?: RunStatus;
  tag?: string;
  source?: TriggerSource;
  search?: string;
}

const submitForm = (event: ChangeEvent<HTMLSelectElement>) => event.currentTarget.form?.requestSubmit();

/** A plain GET form: filters live in the URL, so a filtered view can be bookmarked and shared. */
export function RunsFilters({ workflows, workflow, status, tag, source, search }: Props) {
  return (
    <form className="filters" method="get" action="/">
      <FilterSelect
        name="workflow"
        label="Workflow"
        any="All workflows"
        options={workflows}
        value={workflow}
      />
      <FilterSelect name="status" label="Status" any="Any status" options={RUN_STATUSES} value={status} />
      <FilterSelect name="source" label="Source" any="Any source" options={TRIGGER_SOURCES} value={source} />
      <label>
        <span>Tag</span>
        <input name="tag" placeholder="team:alpha" defaultValue={tag ?? ""} autoComplete="off" />
      </label>
      <label className="grow">
        <span>Run id</span>
        <input name="q" type="search" placeholder="wfr_…" defaultValue={search ?? ""} autoComplete="off" />
      </label>
      <div className="filters-actions">
        <button type="submit">Apply</button>
        {(workflow || status || tag || source || search) && <Link href="/">Clear</Link>}
      </div>
    </form>
  );
}

/** One filter drop-down: choosing a value applies the form at once. */
function FilterSelect(props: {
  name: string;
  label: string;
  any: string;
  options: readonly string[];
  value?: string;
}) {
  return (
    <label>
      <span>{props.label}</span>
      <select name={props.name} defaultValue={props.value ?? ""} onChange={submitForm}>
        <option value="">{props.any}</option>
        {props.options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}
