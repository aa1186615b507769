export type { RunRecord, StepRecord } from "overtime";
