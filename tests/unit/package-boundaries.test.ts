import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The package boundaries, checked on the source: the reference app uses the toolkit exactly as a user's
 * app would (public entry points only), the toolkit knows nothing of the app or the dev tools, and the
 * dev package reaches the toolkit only through its entries.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
const ENTRIES = new Set([
  "overtime",
  "overtime/next",
  "overtime/ai",
  "overtime/dashboard",
  "overtime-dev",
  "overtime-dev/testing",
]);

function sources(dir: string): string[] {
  const full = path.join(ROOT, dir);
  if (statSync(full).isFile()) return [dir];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    if (["node_modules", "dist", ".next"].includes(entry.name)) return [];
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(child);
    return /\.(ts|tsx)$/.test(entry.name) ? [child] : [];
  });
}

/** Every module specifier a file imports (static, dynamic and re-exports), resolved if relative. */
function imports(file: string): Array<{ specifier: string; resolved?: string }> {
  // Comments are left out: module docs show import examples.
  const text = readFileSync(path.join(ROOT, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const found = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map(
    (match) => match[1] as string,
  );
  return found.map((specifier) => {
    if (specifier.startsWith("@/")) return { specifier, resolved: specifier.slice(2) };
    if (specifier.startsWith(".")) {
      return {
        specifier,
        resolved: path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), specifier)),
      };
    }
    return { specifier };
  });
}

function violations(dirs: string[], allowed: (entry: { specifier: string; resolved?: string }) => boolean) {
  return dirs.flatMap(sources).flatMap((file) =>
    imports(file)
      .filter((entry) => !allowed(entry))
      .map((entry) => `${file}: ${entry.specifier}`),
  );
}

const inside = (resolved: string | undefined, ...folders: string[]) =>
  resolved !== undefined &&
  folders.some((folder) => resolved === folder || resolved.startsWith(`${folder}/`));

describe("package boundaries", () => {
  it("the reference app imports the toolkit and the dev tools only through their public entry points", () => {
    const app = ["app", "workflows", "proxy.ts", "instrumentation.ts"];
    const found = violations(app, ({ specifier, resolved }) => {
      if (resolved !== undefined) return inside(resolved, "app", "workflows", "overtime");
      if (specifier.startsWith("overtime")) return ENTRIES.has(specifier);
      return true;
    });
    expect(found).toEqual([]);
  });

  it("the toolkit imports nothing of the app, the workflows or the dev tools", () => {
    const found = violations(["lib"], ({ specifier, resolved }) =>
      resolved !== undefined ? inside(resolved, "lib") : !specifier.startsWith("overtime"),
    );
    expect(found).toEqual([]);
  });

  it("the dev package reaches the toolkit only through its entries, and nothing of the app", () => {
    const packaged = [
      "dev/index.ts",
      "dev/cli.ts",
      "dev/app-config.ts",
      "dev/stack.ts",
      "dev/schedules.ts",
      "dev/testing",
      "dev/qstash",
      "dev/redis-rest",
      "dev/model",
      "dev/support",
    ];
    const found = violations(packaged, ({ specifier, resolved }) => {
      if (resolved !== undefined) return inside(resolved, "dev");
      if (specifier.startsWith("overtime")) return ENTRIES.has(specifier);
      return true;
    });
    expect(found).toEqual([]);
  });
});
