import { EnvError } from "@/app/_lib/env";
import { checkHealth } from "@/app/_lib/health";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  try {
    const health = await checkHealth();
    return Response.json(health, { status: health.ok ? 200 : 503 });
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    return Response.json(
      { ok: false, error: { code: "invalid_environment", message: error.message, problems: error.problems } },
      { status: 503 },
    );
  }
}
