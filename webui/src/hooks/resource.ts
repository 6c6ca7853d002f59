import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Query } from '../api/client';
import type { Page } from '../api/types';

/**
 * The list, one, create, update and delete hooks of an admin resource at `path`. Every change refreshes the
 * resource's cached lists and items (query keys start with the path).
 */
export function resourceHooks<Item, Create, Update, Created = Item>(path: string) {
  const useInvalidate = () => {
    const client = useQueryClient();
    return () => client.invalidateQueries({ queryKey: [path] });
  };
  return {
    useList: (query: Query = {}, enabled = true) =>
      useQuery({
        queryKey: [path, 'list', query],
        queryFn: ({ signal }) => api<Page<Item>>(path, { query, signal }),
        placeholderData: keepPreviousData,
        enabled,
      }),
    useOne: (id: string) =>
      useQuery({ queryKey: [path, 'one', id], queryFn: ({ signal }) => api<Item>(`${path}/${id}`, { signal }) }),
    useCreate: () => {
      const invalidate = useInvalidate();
      return useMutation({
        mutationFn: (body: Create) => api<Created>(path, { method: 'POST', body }),
        onSuccess: invalidate,
      });
    },
    useUpdate: () => {
      const invalidate = useInvalidate();
      return useMutation({
        mutationFn: ({ id, body }: { id: string; body: Update }) =>
          api<Item>(`${path}/${id}`, { method: 'PATCH', body }),
        onSuccess: invalidate,
      });
    },
    useRemove: () => {
      const invalidate = useInvalidate();
      return useMutation({
        mutationFn: (id: string) => api<void>(`${path}/${id}`, { method: 'DELETE' }),
        onSuccess: invalidate,
      });
    },
    /** A POST to `path/:id/<action>` (revoke, regenerate) that changes the item. */
    useAction: <Answer>(action: string) => {
      const invalidate = useInvalidate();
      return useMutation({
        mutationFn: (id: string) => api<Answer>(`${path}/${id}/${action}`, { method: 'POST' }),
        onSuccess: invalidate,
      });
    },
  };
}
