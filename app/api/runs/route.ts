import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";

export function GET(request: Request): Promise<Response> {
  return app().handlers.listRuns(request);
}
