export { type AgentRun, runAgent } from "./agent";
export { type ApprovalRecord, type ApprovalStatus, approvalEventId } from "./approvals";
export * from "./errors";
export { defaultModel } from "./models";
export type * from "./types";
