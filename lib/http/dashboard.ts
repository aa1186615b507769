import type { Overtime } from "../overtime";
import { readStepDetail } from "../runs/step-detail";
import { NotFoundError, respond } from "./errors";

/** Read endpoints only the dashboard needs; the Next.js routes are one-line wrappers around these. */
export function createDashboardHandlers(overtime: Overtime) {
  return {
    /** `GET /api/runs/{id}/steps/{step}`: one step's output and failed attempts, fetched on demand. */
    stepDetail: (_request: Request, runId: string, step: string) =>
      respond(async () => {
        const [run, steps] = await Promise.all([
          overtime.store.getRun(runId),
          overtime.store.getSteps(runId),
        ]);
        if (!run) throw new NotFoundError(`No run with id "${runId}".`);
        if (!steps.some((recorded) => recorded.name === step))
          throw new NotFoundError(`Run "${runId}" has no step named "${step}".`);
        return Response.json(await readStepDetail(overtime, runId, step));
      }),
  };
}
