"use client";

import type { RunRecord, RunTask, StepRecord } from "overtime";
import { RUN_EVENTS, TERMINAL_STATUSES } from "overtime";
import type { ApprovalRecord, RunCost, StepCost } from "overtime/ai";
import { useCallback, useEffect, useRef, useState } from "react";

/** `GET /api/runs/{id}`: the record and steps, plus what the AI layer adds (cost, tokens, approvals) and the tasks a workflow published. */
export interface RunView {
  run: RunRecord & { cost?: RunCost };
  steps: Array<StepRecord & { cost?: StepCost }>;
  approvals?: ApprovalRecord[];
  pendingApprovals?: ApprovalRecord[];
  /** Work items the workflow published (e.g. research's sources). */
  tasks?: RunTask[];
}

/** An agent turn's streamed text, re-assembled from `agent.delta` events (history, then live). */
export interface AgentText {
  key: string;
  agent: string;
  turn: number;
  attempt: number;
  text: string;
}

export interface LogLine {
  id: string;
  at: number;
  message: string;
}

export type Connection = "connecting" | "live" | "reconnecting" | "ended";

const TERMINAL = new Set<string>(TERMINAL_STATUSES);

/**
 * The run as it changes: the run's SSE channel (history first, so logs are re-attached, then live) says
 * *that* something changed; the record is then re-read from the API, debounced, so a burst of events
 * costs one read.
 */
export function useRunLive(initial: RunView) {
  const [view, setView] = useState(initial);
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [agentTexts, setAgentTexts] = useState<AgentText[]>([]);
  const [connection, setConnection] = useState<Connection>("connecting");
  const runId = initial.run.id;
  const path = `/api/runs/${encodeURIComponent(runId)}`;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const refresh = useCallback(async () => {
    const response = await fetch(path, { cache: "no-store" });
    if (response.ok) setView((await response.json()) as RunView);
  }, [path]);

  useEffect(() => {
    const source = new EventSource(`${path}/events`);
    const seen = new Set<string>();
    const scheduleRefresh = () => {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void refresh().catch(() => {}), 150);
    };
    const onEvent = (event: MessageEvent<string>) => {
      if (seen.has(event.lastEventId)) return;
      seen.add(event.lastEventId);
      const data = safeParse(event.data);
      if (event.type === "log" && typeof data.message === "string") {
        const line = { id: event.lastEventId, at: Number(data.at), message: data.message };
        setLogs((previous) => [...previous, line]);
      }
      if (event.type === "agent.delta") {
        setAgentTexts((previous) => appendDelta(previous, data));
        return;
      }
      scheduleRefresh();
      if (event.type === "run.status" && TERMINAL.has(String(data.status))) {
        source.close();
        setConnection("ended");
      }
    };
    for (const name of RUN_EVENTS) source.addEventListener(name, onEvent as EventListener);
    source.onopen = () => setConnection("live");
    source.onerror = () => setConnection(source.readyState === EventSource.CLOSED ? "ended" : "reconnecting");
    return () => {
      source.close();
      clearTimeout(timer.current);
    };
  }, [path, refresh]);

  return { view, logs, agentTexts, connection, refresh };
}

function safeParse(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A retried turn streams again from the start: its text replaces the earlier attempt's. */
function appendDelta(texts: AgentText[], data: Record<string, unknown>): AgentText[] {
  const agent = String(data.agent ?? "agent");
  const turn = Number(data.turn ?? 0);
  const attempt = Number(data.attempt ?? 1);
  const key = `${agent}:${turn}`;
  const chunk = String(data.text ?? "");
  const index = texts.findIndex((text) => text.key === key);
  const current = texts[index];
  if (!current) return [...texts, { key, agent, turn, attempt, text: chunk }];
  const next = [...texts];
  next[index] = { ...current, attempt, text: current.attempt === attempt ? current.text + chunk : chunk };
  return next;
}
