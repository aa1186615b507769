/**
 * `npm run lockfile:complete` — run after `npm install` changes package-lock.json.
 *
 * Why: the npm mirror these machines reach does not serve every platform build of packages that
 * ship native binaries as optional dependencies (Biome, Next's SWC, msgpackr-extract for other
 * OSes). npm then leaves those entries out of the lockfile, and `npm ci` — on CI and on a
 * newcomer's Mac alike — rejects the lockfile as out of sync. This adds each missing entry the
 * way npm writes it from the public registry: the exact version the parent pins, with the
 * os/cpu/libc fields npm uses to skip it on other platforms.
 */
import { readFileSync, writeFileSync } from "node:fs";

type LockEntry = {
  version?: string;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  [key: string]: unknown;
};

const LOCKFILE = "package-lock.json";
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[\w.]+)?$/;

function platformOf(name: string): { os: string[]; cpu: string[]; libc?: string[] } {
  const os = ["darwin", "linux", "win32", "android", "freebsd"].find((candidate) => name.includes(candidate));
  const cpu = ["arm64", "x64", "ia32", "arm"].find((candidate) =>
    new RegExp(`-${candidate}(-|$)`).test(name),
  );
  if (!os || !cpu) throw new Error(`cannot tell the platform of ${name}; add its lock entry by hand`);
  return { os: [os], cpu: [cpu], ...(name.includes("musl") && { libc: ["musl"] }) };
}

const lock = JSON.parse(readFileSync(LOCKFILE, "utf8")) as { packages: Record<string, LockEntry> };
const added: string[] = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path}/node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[hoisted]) continue;
    if (!EXACT_VERSION.test(spec)) throw new Error(`${path} wants ${name}@${spec}: not an exact version`);
    lock.packages[hoisted] = {
      version: spec,
      ...platformOf(name),
      ...(entry.dev && { dev: true }),
      optional: true,
    };
    added.push(`${name}@${spec}`);
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(LOCKFILE, `${JSON.stringify(lock, null, 2)}\n`);
console.log(
  added.length ? `added ${added.length} platform entries:\n  ${added.join("\n  ")}` : "lockfile complete",
);
