import type { Overtime } from "../overtime";
import { readStepDetail } from "../runs/step-detail";
import { NotFoundError, respond } from "./errors";

/** Read endpoints only the dashboard needs; the Next.js routes are one-line wrappers around these. */
export function createDashboardHandlers(overtime: Overtime) {
  return {
    /** `GET /api/runs/{id}/steps/{step}`: one step's output and failed attempts, fetched on demand. */
    stepDetail: (_request: Request, runId: string, step: string) =>
      respond(async () => {
        if (!(await overtime.store.getRun(runId))) throw new NotFoundError(`No run with id "${runId}".`);
        return Response.json(await readStepDetail(overtime, runId, step));
      }),
  };
}
