"use client";

import { useActionState } from "react";
import { type SignInState, signIn } from "./actions";

export function SignInForm({ next }: { next: string }) {
  const [state, action, pending] = useActionState<SignInState, FormData>(signIn, {});
  return (
    <form action={action} className="card form">
      <input type="hidden" name="next" value={next} />
      <label className="field">
        <span>Token</span>
        <input
          name="token"
          type="password"
          autoComplete="current-password"
          required
          aria-invalid={state.error ? true : undefined}
          aria-describedby={state.error ? "token-error" : undefined}
        />
        {state.error && (
          <span className="field-error" id="token-error">
            {state.error}
          </span>
        )}
      </label>
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
