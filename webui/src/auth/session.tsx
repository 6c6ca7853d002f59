import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext } from 'react';
import { api, isApiError } from '../api/client';
import type { Role, SessionUser } from '../api/types';
import { hasRole } from './roles';
import type { SignInMethods } from './sso';

export const SESSION_KEY = ['session'] as const;

interface SessionBody {
  user: SessionUser;
}

/** The signed-in user, or null when the API answers 401. */
export function useSessionQuery() {
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: async (): Promise<SessionUser | null> => {
      try {
        return (await api<SessionBody>('/ui/session')).user;
      } catch (err) {
        if (isApiError(err, 'unauthorized')) return null;
        throw err;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

/** How the sign-in page may sign in (password form, SSO button); asked before anyone is signed in. */
export function useSignInMethods() {
  return useQuery({
    queryKey: ['sign-in-methods'],
    queryFn: () => api<SignInMethods>('/ui/auth/methods'),
    staleTime: Infinity,
    retry: false,
  });
}

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (credentials: { email: string; password: string }) =>
      api<SessionBody>('/ui/session', { method: 'POST', body: credentials }),
    onSuccess: ({ user }) => {
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
      client.setQueryData(SESSION_KEY, user);
    },
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<void>('/ui/session', { method: 'DELETE' }),
    onSettled: () => {
      // drop every cached answer of the signed-out user; the session query itself stays observed by the app
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
      client.setQueryData(SESSION_KEY, null);
    },
  });
}

const UserContext = createContext<SessionUser | null>(null);

export function UserProvider({ user, children }: { user: SessionUser; children: ReactNode }) {
  return <UserContext.Provider value={user}>{children}</UserContext.Provider>;
}

export function useUser(): SessionUser {
  const user = useContext(UserContext);
  if (!user) throw new Error('useUser outside a signed-in page');
  return user;
}

/** Whether the signed-in user may do what needs `role`: controls they may not use are not rendered. */
export function useCan(role: Role): boolean {
  return hasRole(useUser().roles, role);
}
