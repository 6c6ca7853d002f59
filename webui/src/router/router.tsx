import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

/** The console is served under /ui/ (Vite `base`); routes below are written without it. */
export const BASE = '/ui';
const NAVIGATED = 'llmgw:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATED, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATED, onChange);
  };
}

const current = (): string => window.location.pathname + window.location.search;

/** The route path without the base (`/keys/123`), and the query string. */
export function splitLocation(location: string): { path: string; search: URLSearchParams } {
  const [rawPath, rawSearch = ''] = location.split('?', 2);
  let path = rawPath.startsWith(BASE) ? rawPath.slice(BASE.length) : rawPath;
  if (!path.startsWith('/')) path = `/${path}`;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return { path, search: new URLSearchParams(rawSearch) };
}

export function useLocation(): { path: string; search: URLSearchParams } {
  return splitLocation(useSyncExternalStore(subscribe, current));
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${BASE}${to === '/' ? '/' : to}`;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATED));
  window.scrollTo?.(0, 0);
}

/** `/keys/:id` against `/keys/123` → `{ id: '123' }`; null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

const plainClick = (e: MouseEvent): boolean =>
  e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey && !e.defaultPrevented;

/** A real link (opens in a new tab, keyboard friendly) that navigates without reloading on a plain click. */
export function Link({ to, onClick, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  return (
    <a
      {...rest}
      href={`${BASE}${to}`}
      onClick={(e) => {
        onClick?.(e);
        if (!plainClick(e)) return;
        e.preventDefault();
        navigate(to);
      }}
    />
  );
}
