import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";

export async function POST(request: Request, { params }: { params: Promise<{ workflow: string }> }) {
  return app().handlers.trigger(request, (await params).workflow);
}
