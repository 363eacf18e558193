import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '../../server/root.js';

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export function createApiClient() {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: '/trpc' }),
        false: splitLink({
          // Temporal's status takes a moment: asked on its own, it never holds back a batch (the board's).
          condition: (op) => op.path.startsWith('system.'),
          true: httpLink({ url: '/trpc' }),
          false: httpBatchLink({ url: '/trpc' }),
        }),
      }),
    ],
  });
}
