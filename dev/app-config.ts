import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { AnyWorkflow, Registry } from "overtime";
import type { DevStackEnv } from "./stack";

/**
 * What the dev CLI needs to know about the app it runs, from the app's package.json `"overtime"` field
 * (paths relative to the app), overridden by `--workflows` / `--setup`:
 *
 *   "overtime": { "workflows": "./workflows/index.ts", "devSetup": "./dev-setup.ts" }
 *
 * - `workflows`: a module exporting `workflows` (or a default export): the registry or an array of
 *   workflow definitions. Its schedules are created on the local QStash while `overtime dev` runs.
 * - `devSetup`: a module whose default export `(env) => Promise<void | string>` runs once the stand-ins
 *   are up (seed data, say); a returned string is logged.
 */
export interface AppConfig {
  root: string;
  workflows?: string;
  devSetup?: string;
}

export type DevSetup = (env: DevStackEnv) => Promise<string | undefined>;

export async function readAppConfig(argv: readonly string[], root = process.cwd()): Promise<AppConfig> {
  const manifest = await readFile(path.join(root, "package.json"), "utf8")
    .then(
      (text) => (JSON.parse(text) as { overtime?: { workflows?: string; devSetup?: string } }).overtime ?? {},
    )
    .catch(() => ({}) as { workflows?: string; devSetup?: string });
  const flag = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0
      ? argv[index + 1]
      : argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  };
  return {
    root,
    workflows: flag("workflows") ?? manifest.workflows,
    devSetup: flag("setup") ?? manifest.devSetup,
  };
}

/** Imports one of the app's modules (TypeScript included, through tsx). */
async function importAppModule(config: AppConfig, file: string): Promise<Record<string, unknown>> {
  const { tsImport } = await import("tsx/esm/api");
  const url = pathToFileURL(path.resolve(config.root, file)).href;
  return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
}

export async function loadWorkflows(
  config: AppConfig,
): Promise<Registry | readonly AnyWorkflow[] | undefined> {
  if (!config.workflows) return undefined;
  const module = await importAppModule(config, config.workflows);
  const found = module.workflows ?? module.default;
  if (!found || (typeof found !== "object" && !Array.isArray(found))) {
    throw new Error(`${config.workflows} exports no \`workflows\` (a registry or an array of workflows).`);
  }
  return found as Registry | readonly AnyWorkflow[];
}

export async function loadDevSetup(config: AppConfig): Promise<DevSetup | undefined> {
  if (!config.devSetup) return undefined;
  const setup = (await importAppModule(config, config.devSetup)).default;
  if (typeof setup !== "function") throw new Error(`${config.devSetup} has no default export function.`);
  return setup as DevSetup;
}

/** The app's own `next` binary (the one its package.json installs). */
export function nextBin(root: string): string {
  return createRequire(path.join(root, "package.json")).resolve("next/dist/bin/next");
}
