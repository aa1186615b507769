import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

const PACKAGES = [
  "@upstash/workflow",
  "@upstash/qstash",
  "@upstash/redis",
  "@upstash/ratelimit",
  "ai",
  "@ai-sdk/openai",
  "next",
  "bullmq",
] as const;

/** Installed versions (what node_modules holds, not the ranges in package.json). */
export async function packageVersions(root: string): Promise<Record<string, string>> {
  const entries = await Promise.all(
    PACKAGES.map(async (name) => [name, await installedVersion(root, name)] as const),
  );
  return Object.fromEntries(entries);
}

async function installedVersion(root: string, name: string): Promise<string> {
  try {
    const text = await readFile(path.join(root, "node_modules", name, "package.json"), "utf8");
    return (JSON.parse(text) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

/** The redis-server version, from `INFO server` over the dev stack's Redis. */
export async function redisServerVersion(info: string): Promise<string> {
  return /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
}
