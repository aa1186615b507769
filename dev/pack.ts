/**
 * `npm run pack:packages [-- <dir>]`: the two packages as npm tarballs (after `build:packages`), the way
 * they would be published. Prints the tarball paths. Used by the packaging test too.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const PACKAGES = ["lib", "dev"];

export function packPackages(destination: string): string[] {
  mkdirSync(destination, { recursive: true });
  return PACKAGES.map((dir) => {
    const folder = path.join(ROOT, dir);
    copyFileSync(path.join(ROOT, "LICENSE"), path.join(folder, "LICENSE"));
    const output = execFileSync("npm", ["pack", "--pack-destination", destination, "--json"], {
      cwd: folder,
      encoding: "utf8",
    });
    const [packed] = JSON.parse(output) as Array<{ filename: string }>;
    return path.join(destination, (packed as { filename: string }).filename);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const tarball of packPackages(path.resolve(process.argv[2] ?? path.join(ROOT, ".packs")))) {
    console.log(tarball);
  }
}
