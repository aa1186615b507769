"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import {
  appSessions,
  isSameOrigin,
  resolveAccess,
  SESSION_COOKIE,
  sameSecret,
  sessionCookieSecure,
} from "overtime/dashboard";
import { assertActionAllowed } from "@/app/_lib/server";

export interface SignInState {
  error?: string;
}

/** Only paths on this site, so a crafted ?next= cannot bounce a fresh session elsewhere. */
function safeNext(next: FormDataEntryValue | null): string {
  const path = typeof next === "string" ? next : "/";
  return path.startsWith("/") && !path.startsWith("//") && !path.startsWith("/\\") ? path : "/";
}

export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const access = resolveAccess(process.env);
  if (access.mode === "locked") return { error: access.reason };
  if (access.mode === "local") redirect(safeNext(form.get("next")));
  const requestHeaders = await headers();
  if (!isSameOrigin(requestHeaders)) return { error: "Sign in from this site's own page." };
  const token = String(form.get("token") ?? "");
  if (!(await sameSecret(token, access.token))) return { error: "That token is not right." };
  const sessions = appSessions();
  if (!sessions) {
    return { error: "Sessions are kept in Redis: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN." };
  }
  let session: string;
  try {
    session = await sessions.create(access.token);
  } catch {
    return { error: "Redis is unreachable, so no session could be started; try again shortly." };
  }
  (await cookies()).set(SESSION_COOKIE, session, {
    httpOnly: true,
    sameSite: "strict",
    secure: sessionCookieSecure(process.env.NODE_ENV, requestHeaders),
    path: "/",
    maxAge: sessions.ttlSeconds,
  });
  redirect(safeNext(form.get("next")));
}

/** Ends this browser's session on the server too: a copy of the cookie stops working. */
export async function signOut(): Promise<void> {
  await endSessions(async (token, cookie) => {
    if (cookie) await appSessions()?.revoke(token, cookie);
  });
}

/** Ends every dashboard session, everywhere (e.g. after a laptop was lost); this one included. */
export async function signOutEverywhere(): Promise<void> {
  await assertActionAllowed();
  await endSessions(async () => {
    await appSessions()?.revokeAll();
  });
}

async function endSessions(
  revoke: (token: string, cookie: string | undefined) => Promise<void>,
): Promise<void> {
  const access = resolveAccess(process.env);
  const jar = await cookies();
  if (access.mode === "token") await revoke(access.token, jar.get(SESSION_COOKIE)?.value);
  jar.delete(SESSION_COOKIE);
  redirect("/login");
}
