import { type ReactNode, useEffect } from 'react';
import { navFor } from './auth/roles';
import { useSignOut, useUser } from './auth/session';
import { Link, useLocation } from './router/router';

export function Layout({ children }: { children: ReactNode }) {
  const user = useUser();
  const signOut = useSignOut();
  const { path } = useLocation();
  const current = (to: string) => (to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`));
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <strong className="brand">LLM Gateway</strong>
        <span className="who">
          {user.email} · {user.roles.join(', ')}
        </span>
        <button
          type="button"
          className="outline secondary"
          aria-busy={signOut.isPending}
          onClick={() => signOut.mutate()}
        >
          Sign out
        </button>
      </header>
      <nav className="sidenav" aria-label="Console">
        <ul>
          {navFor(user.roles).map((item) => (
            <li key={item.path}>
              <Link to={item.path} aria-current={current(item.path) ? 'page' : undefined}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

/** Sets the tab's title for the page on screen. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · LLM Gateway`;
  }, [title]);
}
