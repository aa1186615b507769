"use client";

import { useState } from "react";
import { JsonBlock } from "@/app/_components/json-block";
import { formatBytes, jsonBytes } from "@/app/_lib/format";

/** Values up to this size are shown at once; larger ones wait for a click. */
const INLINE_BYTES = 2_048;

interface Props {
  runId: string;
  title: string;
  value: unknown;
  placeholder?: string;
}

interface Truncated {
  truncated: true;
  bytes: number;
  preview: string;
}

const isTruncated = (value: unknown): value is Truncated =>
  typeof value === "object" && value !== null && (value as Truncated).truncated === true;

export function ValuePanel({ title, value, placeholder = "None." }: Props) {
  const bytes = value === undefined ? 0 : jsonBytes(value);
  const [shown, setShown] = useState(bytes <= INLINE_BYTES);
  return (
    <div className="card value-panel">
      <h2>
        {title} {value !== undefined && <span className="muted small">{formatBytes(bytes)}</span>}
      </h2>
      {value === undefined ? (
        <p className="muted">{placeholder}</p>
      ) : isTruncated(value) ? (
        <>
          <p className="notice">
            {formatBytes(value.bytes)}, over the run record's limit; the first part is shown.
          </p>
          <JsonBlock value={value.preview} label={`${title} (preview)`} />
        </>
      ) : shown ? (
        <JsonBlock value={value} label={title} />
      ) : (
        <button type="button" onClick={() => setShown(true)}>
          Show {title.toLowerCase()} ({formatBytes(bytes)})
        </button>
      )}
    </div>
  );
}
