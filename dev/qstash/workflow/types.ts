import type { FlowControlSettings, HeaderArrays, HeaderMap } from "../headers";

export type RunState = "RUN_STARTED" | "RUN_SUCCESS" | "RUN_FAILED" | "RUN_CANCELED";

export interface RunConfig {
  retries?: number;
  retryDelay?: string;
  flowControl?: FlowControlSettings;
  failureCallback?: string;
  /** `Upstash-Failure-Callback-<Rest>` headers of the trigger, keyed by `<Rest>`. */
  failureHeaders: HeaderMap;
  /** The trigger's forwarded headers (incl. `Upstash-Workflow-Sdk-Version`, `Upstash-Label`, user headers). */
  forward: HeaderMap;
}

export interface Invoker {
  workflowRunId: string;
  workflowUrl: string;
  workflowRunCreatedAt: number;
  step: Record<string, unknown>;
  headers: HeaderArrays;
}

export interface FailureFunctionInfo {
  messageId: string;
  url: string;
  state: "CALLBACK_INPROGRESS" | "CALLBACK_SUCCESS" | "CALLBACK_FAIL" | "CALLBACK_CANCELED";
  failHeaders: HeaderArrays;
  failStatus: number;
  failResponse: string;
  dlqId: string;
  responseStatus?: number;
  responseBody?: string;
  responseHeaders?: HeaderArrays;
  maxRetries?: number;
  errors?: StepError[];
}

export interface StepError {
  error: string;
  body?: string;
  headers?: HeaderArrays;
  status?: number;
  time: number;
}

export interface RunRecord {
  workflowRunId: string;
  workflowUrl: string;
  createdAt: number;
  state: RunState;
  completedAt?: number;
  response?: string;
  callerIp: string;
  labels: string[];
  featureSet: string;
  config: RunConfig;
  initialBodyBase64: string;
  firstMessageId: string;
  /** Publish headers of the trigger, to restart / resume the run from the DLQ. */
  triggerHeaders: HeaderMap;
  invoker?: Invoker;
  restTrigger?: boolean;
  dlqId?: string;
  failureFunction?: FailureFunctionInfo;
  /** Children started by `context.invoke`, keyed by the invoke step id (for logs). */
  invoked?: Record<
    string,
    { workflowRunId: string; workflowUrl: string; createdAt: number; body: string; headers: HeaderArrays }
  >;
  /** Invoke steps whose child finished after this run ended (recorded, not delivered). */
  lateInvokeResults?: string[];
}

/** One entry of the run's message list, exactly as delivered (`RawStep`). */
export interface RawStep {
  messageId: string;
  body: string;
  callType: string;
}

/** Delivery bookkeeping per run message, for logs. */
export interface MessageLog {
  messageId: string;
  callType: string;
  createdAt: number;
  state: "STEP_PROGRESS" | "STEP_SUCCESS" | "STEP_RETRY" | "STEP_FAILED" | "STEP_CANCELED";
  retries: number;
  retried: number;
  retryDelay?: string;
  nextDeliveryTime?: number;
  errors: StepError[];
  url: string;
  headers: HeaderArrays;
  /** Step id / name a `context.call` message belongs to. */
  stepId?: number;
  stepName?: string;
  /** Filled for `context.call` messages (third-party request). */
  call?: {
    url: string;
    method: string;
    headers: HeaderArrays;
    body: string;
    responseStatus?: number;
    responseBody?: string;
    responseHeaders?: HeaderArrays;
  };
}
