import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return app().handlers.getRun(request, (await params).id);
}
