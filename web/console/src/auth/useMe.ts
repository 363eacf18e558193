import { useMutation, useQuery } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../server/root.js';
import { useTRPC } from '../trpc.js';

export type Me = inferRouterOutputs<AppRouter>['auth']['me'];
export type Role = NonNullable<Me['user']>['role'];

const RANK: Role[] = ['reader', 'author', 'reviewer', 'admin'];

/** Who the console talks as: a signed-in user, the local admin (`user` null, no sign-in needed), or nobody yet. */
export function useMe() {
  const trpc = useTRPC();
  return useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 30_000, retry: 1 }));
}

/** The role the console acts with: a signed-in user's, the local admin's, or none until sign-in. */
export function roleOf(me: Me | undefined): Role | undefined {
  if (!me || me.signInRequired) return undefined;
  return me.user?.role ?? 'admin';
}

export function hasRole(me: Me | undefined, needed: Role): boolean {
  const role = roleOf(me);
  return role !== undefined && RANK.indexOf(role) >= RANK.indexOf(needed);
}

/** Signs out and starts again from the sign-in page, so nothing of the old session stays in memory. */
export function useSignOut() {
  const trpc = useTRPC();
  return useMutation(
    trpc.auth.signOut.mutationOptions({ onSuccess: () => window.location.assign('/sign-in?signedOut=1') }),
  );
}
