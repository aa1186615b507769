/** Where QStash reaches the app, from the deployment's settings (the app passes its parsed environment). */
export interface BaseUrlSettings {
  /** An explicit public base URL (wins over everything). */
  UPSTASH_WORKFLOW_URL?: string;
  /** Vercel's per-deployment host name (no scheme). */
  VERCEL_URL?: string;
}

/**
 * The public base URL QStash calls back: UPSTASH_WORKFLOW_URL, else the Vercel deployment URL, else the
 * local Next.js server on `port`.
 */
export function publicBaseUrl(config: BaseUrlSettings, port: string | undefined = undefined): string {
  if (config.UPSTASH_WORKFLOW_URL) return config.UPSTASH_WORKFLOW_URL;
  if (config.VERCEL_URL) return `https://${config.VERCEL_URL}`;
  return `http://127.0.0.1:${port ?? 3000}`;
}
