"use client";

import Link from "next/link";
import { RUN_STATUSES, type RunStatus } from "overtime";
import type { ChangeEvent } from "react";

interface Props {
  workflows: string[];
  workflow?: string;
  status?: RunStatus;
  search?: string;
}

const submitForm = (event: ChangeEvent<HTMLSelectElement>) => event.currentTarget.form?.requestSubmit();

/** A plain GET form: filters live in the URL, so a filtered view can be bookmarked and shared. */
export function RunsFilters({ workflows, workflow, status, search }: Props) {
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
      <label className="grow">
        <span>Run id</span>
        <input name="q" type="search" placeholder="wfr_…" defaultValue={search ?? ""} autoComplete="off" />
      </label>
      <div className="filters-actions">
        <button type="submit">Apply</button>
        {(workflow || status || search) && <Link href="/">Clear</Link>}
      </div>
    </form>
  );
}
