import { type NextRequest, NextResponse } from "next/server";
import { appSessions, checkAccess, resolveAccess, SESSION_COOKIE } from "overtime/dashboard";

/** Every page and API route passes through here; see lib/dashboard/access.ts for the rules. */
export async function proxy(request: NextRequest): Promise<Response> {
  const { pathname, search } = request.nextUrl;
  // Next.js would answer a path it cannot percent-decode with a bare 500 while matching routes.
  if (!decodable(pathname)) {
    return Response.json(
      { error: { code: "invalid_request", message: "The request path is not valid percent-encoding." } },
      { status: 400 },
    );
  }
  const verdict = await checkAccess(
    resolveAccess(process.env),
    {
      method: request.method,
      pathname,
      headers: request.headers,
      sessionCookie: request.cookies.get(SESSION_COOKIE)?.value,
    },
    appSessions(),
  );
  if (verdict.allow) return NextResponse.next();
  if (pathname.startsWith("/api/") || verdict.status !== 401 || request.method !== "GET") {
    const code = { 401: "unauthorized", 403: "forbidden", 503: "unavailable" }[verdict.status];
    const headers: Record<string, string> =
      verdict.status === 401
        ? { "www-authenticate": 'Bearer realm="overtime"' }
        : verdict.status === 503
          ? { "retry-after": "5" }
          : {};
    return Response.json({ error: { code, message: verdict.message } }, { status: verdict.status, headers });
  }
  // A page: 401 with no data, and a browser moves on to the sign-in page, which comes back here after.
  const login = `/login?next=${encodeURIComponent(`${pathname}${search}`)}`;
  return new Response(signInRequiredPage(login, verdict.message), {
    status: 401,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

function signInRequiredPage(login: string, message: string): string {
  const href = escapeHtml(login);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · Overtime</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<meta http-equiv="refresh" content="0; url=${href}"></head>
<body style="font-family:system-ui,sans-serif;max-width:30rem;margin:4rem auto;padding:0 1rem">
<h1>Sign in required</h1><p>${escapeHtml(message)}</p><p><a href="${href}">Continue to sign in</a></p></body></html>`;
}

function decodable(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
