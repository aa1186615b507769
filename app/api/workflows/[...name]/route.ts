import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";

/** Every workflow's endpoint (serveMany): QStash calls POST /api/workflows/<name> once per step. */
export function POST(request: Request): Promise<Response> {
  return app().overtime.serveWorkflows(request);
}
