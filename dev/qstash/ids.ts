import { randomBytes } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function randomString(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

export const newMessageId = () => `msg_${randomString(28)}`;
export const newScheduleId = () => `scd_${randomString(28)}`;
/** dlqIds look like Redis stream ids in QStash: `<ms>-<seq>`. */
export const newDlqId = (nowMs: number) => `${nowMs}-${Math.floor(Math.random() * 1e6)}`;
