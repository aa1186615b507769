import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";

export async function POST(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return app().handlers.retryRun(request, (await params).id);
}
