import { describe, expect, it } from "vitest";
import { runView } from "../../../dev/qstash/workflow/logs";
import type { MessageLog, RawStep, RunRecord } from "../../../dev/qstash/workflow/types";

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64");

const run: RunRecord = {
  workflowRunId: "wfr_1",
  workflowUrl: "http://app/wf",
  createdAt: 1000,
  state: "RUN_FAILED",
  completedAt: 2000,
  callerIp: "127.0.0.1",
  labels: ["l"],
  featureSet: "",
  config: { failureHeaders: {}, forward: {} },
  initialBodyBase64: b64("payload"),
  firstMessageId: "m0",
  triggerHeaders: {},
};

const log = (
  messageId: string,
  state: MessageLog["state"],
  errors: MessageLog["errors"] = [],
): MessageLog => ({
  messageId,
  callType: "step",
  createdAt: 1000,
  state,
  retries: 3,
  retried: 0,
  errors,
  url: "http://app/wf",
  headers: {},
});

describe("workflow run log view", () => {
  it("groups init, sequential steps, a parallel group with a failed branch", () => {
    const list: RawStep[] = [
      { messageId: "m0", body: b64("payload"), callType: "step" },
      {
        messageId: "m1",
        body: b64({ stepId: 1, stepName: "first", stepType: "Run", out: '"a"', concurrent: 1 }),
        callType: "step",
      },
      {
        messageId: "m2",
        body: b64({ stepId: 0, stepName: "left", stepType: "Run", concurrent: 2, targetStep: 2 }),
        callType: "step",
      },
      {
        messageId: "m3",
        body: b64({ stepId: 0, stepName: "right", stepType: "Run", concurrent: 2, targetStep: 3 }),
        callType: "step",
      },
      {
        messageId: "m4",
        body: b64({ stepId: 2, stepName: "left", stepType: "Run", out: '"L"', concurrent: 2 }),
        callType: "step",
      },
    ];
    const logs = new Map<string, MessageLog>([
      ["m0", log("m0", "STEP_SUCCESS")],
      ["m1", log("m1", "STEP_SUCCESS")],
      ["m2", log("m2", "STEP_SUCCESS")],
      ["m3", log("m3", "STEP_FAILED", [{ error: "status 489", status: 489, body: "{}", time: 1500 }])],
      ["m4", log("m4", "STEP_SUCCESS")],
    ]);
    const view = runView(run, list, logs) as { steps: { type: string; steps: Record<string, unknown>[] }[] };
    expect(view.steps.map((g) => g.type)).toEqual(["sequential", "sequential", "parallel"]);
    expect(view.steps[0]?.steps[0]).toMatchObject({
      stepName: "init",
      stepType: "Initial",
      state: "STEP_SUCCESS",
      out: "payload",
    });
    expect(view.steps[1]?.steps[0]).toMatchObject({
      stepId: 1,
      stepName: "first",
      out: '"a"',
      state: "STEP_SUCCESS",
    });
    const parallel = view.steps[2]?.steps ?? [];
    expect(parallel).toHaveLength(2);
    expect(parallel.find((s) => s.stepName === "left")).toMatchObject({ state: "STEP_SUCCESS", out: '"L"' });
    const failed = parallel.find((s) => s.stepName === "right");
    expect(failed).toMatchObject({ state: "STEP_FAILED", stepId: 3 });
    expect((failed?.errors as { status: number }[] | undefined)?.[0]?.status).toBe(489);
    expect(view).toMatchObject({ workflowState: "RUN_FAILED", labels: ["l"], workflowRunCompletedAt: 2000 });
  });

  it("ends with a `next` group for a first delivery that failed", () => {
    const list: RawStep[] = [{ messageId: "m0", body: b64(""), callType: "step" }];
    const logs = new Map([["m0", log("m0", "STEP_FAILED", [{ error: "detected", body: "plain", time: 1 }])]]);
    const view = runView({ ...run, initialBodyBase64: "" }, list, logs) as {
      steps: { type: string; steps: Record<string, unknown>[] }[];
    };
    expect(view.steps.map((g) => g.type)).toEqual(["sequential", "next"]);
    expect(view.steps[1]?.steps).toHaveLength(1);
    expect(view.steps[1]?.steps[0]).toMatchObject({ messageId: "m0", state: "STEP_FAILED" });
  });
});
