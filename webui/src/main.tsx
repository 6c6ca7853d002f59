import '@picocss/pico/css/pico.min.css';
import './styles.css';
import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { isApiError } from './api/client';
import { App } from './app';
import { SESSION_KEY } from './auth/session';

const client: QueryClient = new QueryClient({
  queryCache: new QueryCache({
    // a 401 on any call means the session ended (signed out elsewhere, expired, admin disabled): back to sign-in
    onError: (err, query) => {
      if (isApiError(err, 'unauthorized') && query.queryKey[0] !== SESSION_KEY[0])
        client.setQueryData(SESSION_KEY, null);
    },
  }),
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      retry: (count, err) => count < 2 && (isApiError(err, 'network') || isApiError(err, 'server')),
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={client}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
