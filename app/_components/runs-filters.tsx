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
      <label>
        <span>Workflow</span>
        <select name="workflow" defaultValue={workflow ?? ""} onChange={submitForm}>
          <option value="">All workflows</option>
          {workflows.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Status</span>
        <select name="status" defaultValue={status ?? ""} onChange={submitForm}>
          <option value="">Any status</option>
          {RUN_STATUSES.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Source</span>
        <select name="source" defaultValue={source ?? ""} onChange={submitForm}>
          <option value="">Any source</option>
          {TRIGGER_SOURCES.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
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
