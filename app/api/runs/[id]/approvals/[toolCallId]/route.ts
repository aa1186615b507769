import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";

export async function POST(
  request: Request,
  { params }: { params: Promise<{ id: string; toolCallId: string }> },
) {
  const { id, toolCallId } = await params;
  return app().handlers.decideApproval(request, id, toolCallId);
}
