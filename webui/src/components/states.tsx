import type { ReactNode } from 'react';
import { errorMessage } from '../api/errors';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p aria-busy="true" role="status">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function ErrorNote({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <p role="alert" className="error-note">
      {title ? <strong>{title} </strong> : null}
      {errorMessage(error)}
    </p>
  );
}

/** Loading, error or the content of one query. */
export function QueryState<T>({
  query,
  what,
  children,
}: {
  query: { isPending: boolean; error: unknown; data: T | undefined };
  what?: string;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading what={what} />;
  if (query.error || query.data === undefined) return <ErrorNote error={query.error} title="Could not load this." />;
  return <>{children(query.data)}</>;
}
