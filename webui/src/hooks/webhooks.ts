import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Page, Webhook, WebhookCreate, WebhookDelivery, WebhookUpdate } from '../api/types';
import { resourceHooks } from './resource';

const PATH = '/admin/webhooks';

export const webhooks = resourceHooks<Webhook, WebhookCreate, WebhookUpdate>(PATH);

/** How often the list is asked again while a delivery on it is pending (being sent, or waiting for a retry). */
const PENDING_POLL_MS = 3000;

/**
 * A webhook's deliveries, newest first. While one of them is pending the list refreshes itself, so a resend (or a
 * retry) shows as delivered or failed without reloading the page (not while the tab is hidden: TanStack Query
 * polls in the background only when asked to).
 */
export const useDeliveries = (id: string, page: { limit: number; offset: number }) =>
  useQuery({
    queryKey: [PATH, 'deliveries', id, page],
    queryFn: ({ signal }) => api<Page<WebhookDelivery>>(`${PATH}/${id}/deliveries`, { query: page, signal }),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.data.some((d) => d.status === 'pending') ? PENDING_POLL_MS : false),
  });

/** Sends a delivery again now; the list refreshes to show it pending, then keeps refreshing until it is not. */
export function useResend(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) =>
      api<WebhookDelivery>(`${PATH}/${id}/deliveries/${deliveryId}/resend`, { method: 'POST' }),
    onSuccess: () => client.invalidateQueries({ queryKey: [PATH, 'deliveries', id] }),
  });
}
