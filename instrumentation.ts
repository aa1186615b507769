/**
 * Runs once when a Next.js server starts: a configuration problem is reported there, naming the
 * variable, instead of surfacing first as failing requests. The server still starts, so `/api/health`
 * and the dashboard can say what is wrong.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { env, EnvError } = await import("@/app/_lib/env");
  try {
    env();
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    console.error(
      `[overtime] configuration error, requests will answer 503 until it is fixed:\n${error.message}`,
    );
  }
}
