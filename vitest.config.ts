import { defineConfig } from "vitest/config";

const fromRoot = (path: string) => new URL(`./${path}`, import.meta.url).pathname;

export default defineConfig({
  // The packages resolve to their sources here, as in tsconfig.json (one copy of every class in a test run).
  resolve: {
    alias: [
      { find: /^overtime\/next$/, replacement: fromRoot("lib/next.ts") },
      { find: /^overtime\/ai$/, replacement: fromRoot("lib/ai/index.ts") },
      { find: /^overtime\/dashboard$/, replacement: fromRoot("lib/dashboard/index.ts") },
      { find: /^overtime$/, replacement: fromRoot("lib/index.ts") },
      { find: /^overtime-dev\/testing$/, replacement: fromRoot("dev/testing/index.ts") },
      { find: /^overtime-dev$/, replacement: fromRoot("dev/index.ts") },
      { find: /^@\//, replacement: fromRoot("") },
    ],
  },
  test: {
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"], environment: "node" },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["tests/e2e/build.setup.ts"],
          testTimeout: 90_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
