import { app } from "@/app/overtime";
import { methodNotAllowed } from "@/lib/http/errors";

export const dynamic = "force-dynamic";

export async function POST(request: Request, { params }: { params: Promise<{ workflow: string }> }) {
  return app().handlers.trigger(request, (await params).workflow);
}

export async function GET(_request: Request, { params }: { params: Promise<{ workflow: string }> }) {
  const workflow = (await params).workflow;
  return methodNotAllowed(["POST"], `POST a JSON input to /api/trigger/${workflow} to start a run.`);
}
