import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { type ReactNode, createContext, useContext } from 'react';
import type { AppRouter } from '../../server/root.js';
import { useTRPC } from './trpc.js';

export type SystemStatus = inferRouterOutputs<AppRouter>['system']['status'];

export interface LiveStatus {
  status: SystemStatus | undefined;
  /** Updates arrive over server-sent events right now. */
  live: boolean;
  connected: boolean;
  error: string | undefined;
}

const LiveStatusContext = createContext<LiveStatus>({
  status: undefined,
  live: false,
  connected: false,
  error: undefined,
});

/** One status stream for the whole console: the top bar's live indicator and the System page read it. */
export function LiveStatusProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const initial = useQuery(trpc.system.status.queryOptions());
  const stream = useSubscription(trpc.system.onStatus.subscriptionOptions({ intervalMs: 2_000 }));
  const status = stream.data ?? initial.data;
  const connected =
    stream.status === 'pending' || stream.status === 'idle' ? Boolean(initial.data) : stream.status !== 'error';
  return (
    <LiveStatusContext.Provider
      value={{ status, live: Boolean(stream.data), connected, error: status ? undefined : initial.error?.message }}
    >
      {children}
    </LiveStatusContext.Provider>
  );
}

export function useLiveStatus(): LiveStatus {
  return useContext(LiveStatusContext);
}
