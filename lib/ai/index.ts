export { BudgetTooSmallError } from "../budgets/budgets";
export { type AgentRun, runAgent } from "./agent";
export { type ApprovalRecord, type ApprovalStatus, approvalEventId } from "./approvals";
export * from "./errors";
export { defaultModel } from "./models";
export { estimatePromptTokens } from "./tokens";
export type * from "./types";
