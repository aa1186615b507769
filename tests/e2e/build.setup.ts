import { spawnSync } from "node:child_process";
import path from "node:path";

/**
 * The browser tests run the production build (`next start`): measured on 2 cores, building once and
 * starting takes less than `next dev` compiling each page on first visit, and it exercises the proxy in
 * production mode. OVERTIME_E2E_SKIP_BUILD=1 reuses an existing build: `npm test` builds once (the build Vercel runs) before vitest.
 */
export default function buildOnce(): void {
  if (process.env.OVERTIME_E2E_SKIP_BUILD === "1") return;
  const root = path.resolve(import.meta.dirname, "../..");
  const result = spawnSync(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], {
    cwd: root,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
}
