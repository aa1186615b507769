export type { RunRecord, StepRecord } from "../../lib/runs/store";
