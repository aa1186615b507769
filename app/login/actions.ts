"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import {
  createSession,
  isSameOrigin,
  resolveAccess,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  sameSecret,
} from "@/lib/dashboard/access";

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
  (await cookies()).set(SESSION_COOKIE, await createSession(access.token), {
    httpOnly: true,
    sameSite: "strict",
    secure: requestHeaders.get("x-forwarded-proto") === "https",
    path: "/",
    maxAge: SESSION_TTL_SECONDS,
  });
  redirect(safeNext(form.get("next")));
}

export async function signOut(): Promise<void> {
  (await cookies()).delete(SESSION_COOKIE);
  redirect("/login");
}
