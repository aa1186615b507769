import { defineConfig } from "tsup";

/** The stack, the test harness and the CLI (`overtime dev|stack`), as ESM with bundled .d.ts. */
export default defineConfig([
  {
    entry: { index: "index.ts", testing: "testing/index.ts" },
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: true,
    splitting: true,
    sourcemap: true,
    clean: true,
    tsconfig: "tsconfig.build.json",
    external: ["overtime", "overtime/ai"],
  },
  {
    entry: { cli: "cli.ts" },
    format: ["esm"],
    target: "node20",
    platform: "node",
    sourcemap: true,
    banner: { js: "#!/usr/bin/env node" },
    tsconfig: "tsconfig.build.json",
    external: ["overtime", "overtime/ai"],
  },
]);
