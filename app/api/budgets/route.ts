import { app } from "@/app/overtime";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return app().handlers.budgets(request);
}
