import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";

/** Server-Sent Events: the run's history, then live events; resumable with Last-Event-ID. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return app().handlers.runEvents(request, (await params).id);
}
