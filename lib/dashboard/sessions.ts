import { Redis } from "@upstash/redis";

/**
 * Dashboard sessions, kept server-side in Redis so they can be revoked: signing out deletes the
 * session (a copy of the cookie stops working), and "sign out everywhere" ends every session at once.
 *
 * The cookie is `<random id>.<HMAC(DASHBOARD_TOKEN, id)>`: the signature turns away forged cookies
 * without a Redis call and ends every session when the token changes; Redis stores only a hash of
 * the id (someone who can read Redis cannot sign in) and the generation the session belongs to.
 * "Sign out everywhere" bumps the generation. Web Crypto only: this runs inside the Next.js proxy.
 */
export const SESSION_TTL_SECONDS = 7 * 86_400;

export interface SessionVerifier {
  verify(token: string, cookie: string): Promise<boolean>;
}

export interface SessionStoreOptions {
  redis: Redis;
  /** Key prefix (default "ot", the run store's). */
  prefix?: string;
  ttlSeconds?: number;
}

export class SessionStore implements SessionVerifier {
  private readonly prefix: string;
  readonly ttlSeconds: number;

  constructor(private readonly options: SessionStoreOptions) {
    this.prefix = `${options.prefix ?? "ot"}:session`;
    this.ttlSeconds = options.ttlSeconds ?? SESSION_TTL_SECONDS;
  }

  /** Starts a session and returns its cookie value. */
  async create(token: string): Promise<string> {
    const id = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    const generation = (await this.options.redis.get<number>(this.generationKey)) ?? 0;
    await this.options.redis.set(
      await this.key(id),
      { generation, createdAt: Date.now() },
      { ex: this.ttlSeconds },
    );
    return `${id}.${await sign(token, id)}`;
  }

  async verify(token: string, cookie: string): Promise<boolean> {
    const id = await verifiedId(token, cookie);
    if (!id) return false;
    const [session, generation] = await this.options.redis.mget<
      [{ generation?: number } | null, number | null]
    >(await this.key(id), this.generationKey);
    return session !== null && Number(session.generation ?? 0) === Number(generation ?? 0);
  }

  /** Ends one session (sign-out); a cookie that is not a valid session is ignored. */
  async revoke(token: string, cookie: string): Promise<void> {
    const id = await verifiedId(token, cookie);
    if (id) await this.options.redis.del(await this.key(id));
  }

  /** Ends every session there is; signing in again starts a new one. */
  async revokeAll(): Promise<void> {
    await this.options.redis.incr(this.generationKey);
  }

  private get generationKey(): string {
    return `${this.prefix}s:generation`;
  }

  private async key(id: string): Promise<string> {
    const digest = await crypto.subtle.digest("SHA-256", encode(id));
    return `${this.prefix}:${toBase64Url(new Uint8Array(digest))}`;
  }
}

const COOKIE = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

async function verifiedId(token: string, cookie: string): Promise<string | undefined> {
  const match = COOKIE.exec(cookie);
  if (!match) return undefined;
  const [, id, signature] = match as unknown as [string, string, string];
  const valid = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(token),
    fromBase64Url(signature),
    payload(id),
  );
  return valid ? id : undefined;
}

async function sign(token: string, id: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(token), payload(id))));
}

const encode = (text: string) => new TextEncoder().encode(text);
const payload = (id: string) => encode(`overtime-dashboard-session:${id}`);

function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

let appStore: SessionStore | undefined;

/**
 * The app's session store, on its Redis; undefined while the Redis variables are missing. Read on
 * their own, like DASHBOARD_TOKEN: the proxy must not need the rest of the environment to be valid.
 */
export function appSessions(env: Record<string, string | undefined> = process.env): SessionStore | undefined {
  const url = env.UPSTASH_REDIS_REST_URL?.trim();
  const token = env.UPSTASH_REDIS_REST_TOKEN?.trim();
  if (!url || !token || !URL.canParse(url)) return undefined;
  appStore ??= new SessionStore({ redis: new Redis({ url, token }) });
  return appStore;
}
