import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";

/** Notifies runs waiting for this event id (`context.waitForEvent`); the JSON body is the event data. */
export async function POST(request: Request, { params }: { params: Promise<{ eventId: string }> }) {
  return app().handlers.notify(request, (await params).eventId);
}
