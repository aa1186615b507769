import { defineConfig } from "tsup";

/**
 * One ESM bundle per entry point with its bundled .d.ts; shared code is split into chunks, so every
 * entry sees the same classes (an error thrown in `overtime` is `instanceof` in `overtime/next`).
 */
export default defineConfig({
  entry: { index: "index.ts", next: "next.ts", ai: "ai/index.ts", dashboard: "dashboard/index.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  tsconfig: "tsconfig.build.json",
});
