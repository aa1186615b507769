import { app } from "@/app/overtime";
import { createDashboardHandlers } from "@/lib/http/dashboard";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string; step: string }> }) {
  const { id, step } = await params;
  return createDashboardHandlers(app().overtime).stepDetail(request, id, step);
}
