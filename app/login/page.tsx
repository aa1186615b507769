import type { Metadata } from "next";
import { resolveAccess } from "overtime/dashboard";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in · Overtime" };
export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  const access = resolveAccess(process.env);
  return (
    <section className="narrow">
      <h1>Sign in</h1>
      {access.mode === "locked" ? (
        <div className="notice bad" role="alert">
          <strong>The dashboard is locked.</strong> {access.reason}
        </div>
      ) : access.mode === "local" ? (
        <p className="lead">
          Local development: no sign-in needed on this machine. <a href={next ?? "/"}>Continue</a>
        </p>
      ) : (
        <>
          <p className="lead">Enter the dashboard token (the deployment's DASHBOARD_TOKEN).</p>
          <SignInForm next={next ?? "/"} />
        </>
      )}
    </section>
  );
}
