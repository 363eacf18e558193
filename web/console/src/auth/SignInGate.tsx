import type { ReactNode } from 'react';
import { SignInPage } from './SignInPage.js';
import { useMe } from './useMe.js';

/**
 * The sign-in page on `/sign-in`, and instead of the console while the API wants a sign-in (a
 * non-local bind, MAESTRO_AUTH=required, or an ended session); the console itself otherwise.
 */
export function SignInGate({ children }: { children: ReactNode }) {
  const me = useMe();
  if (window.location.pathname === '/sign-in') return <SignInPage />;
  // Until the API says who we are, the console's own calls would only be refused.
  if (me.isPending) return null;
  if (me.data?.signInRequired) return <SignInPage reason={me.data.reason} />;
  return <>{children}</>;
}
