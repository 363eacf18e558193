import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { SignInGate } from './auth/SignInGate.js';
import { LiveStatusProvider } from './live-status.js';
import { TRPCProvider, createApiClient } from './trpc.js';
import './styles.css';

function Root() {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: 1_000 } } }),
  );
  const [apiClient] = useState(createApiClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={apiClient} queryClient={queryClient}>
        <SignInGate>
          <LiveStatusProvider>
            <App />
          </LiveStatusProvider>
        </SignInGate>
      </TRPCProvider>
    </QueryClientProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
