import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";
import Link from "next/link";
import { appSessions, resolveAccess, SESSION_COOKIE } from "overtime/dashboard";
import type { ReactNode } from "react";
import { HealthDot } from "./_components/health-dot";
import { NavLinks } from "./_components/nav-links";
import { signOut, signOutEverywhere } from "./login/actions";
import "./globals.css";

export const metadata: Metadata = {
  title: "Overtime",
  description: "Durable, long-running AI agent jobs on Upstash Workflow",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };
// Every page reads the run store and the access settings at request time, never at build time.
export const dynamic = "force-dynamic";

export default async function RootLayout({ children }: { children: ReactNode }) {
  const signedInWithToken = await hasSession();
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/" className="brand">
            Overtime
          </Link>
          <NavLinks />
          <div className="topbar-side">
            <HealthDot />
          </div>
        </header>
        <main>{children}</main>
        {/* After the page, so a page's own form is the first submit button, not this one. */}
        {signedInWithToken && (
          <footer className="signout">
            <form action={signOut}>
              <button type="submit" className="link-button">
                Sign out
              </button>
            </form>
            <form action={signOutEverywhere}>
              <button
                type="submit"
                className="link-button"
                title="End every dashboard session, on every device"
              >
                Sign out everywhere
              </button>
            </form>
          </footer>
        )}
      </body>
    </html>
  );
}

async function hasSession(): Promise<boolean> {
  const access = resolveAccess(process.env);
  const cookie = (await cookies()).get(SESSION_COOKIE)?.value;
  if (access.mode !== "token" || cookie === undefined) return false;
  return (
    (await appSessions()
      ?.verify(access.token, cookie)
      .catch(() => false)) ?? false
  );
}
