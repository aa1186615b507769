import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";

/** Overtime's HTTP API (trigger, runs, events, approvals, budgets): one router, see lib/http/router.ts. */
const handle = (request: Request) => app().router.handle(request);

export { handle as DELETE, handle as GET, handle as PATCH, handle as POST, handle as PUT };
