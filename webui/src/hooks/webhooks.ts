import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Page, Webhook, WebhookCreate, WebhookDelivery, WebhookUpdate } from '../api/types';
import { resourceHooks } from './resource';

const PATH = '/admin/webhooks';

export const webhooks = resourceHooks<Webhook, WebhookCreate, WebhookUpdate>(PATH);

/** A webhook's deliveries, newest first. */
export const useDeliveries = (id: string, page: { limit: number; offset: number }) =>
  useQuery({
    queryKey: [PATH, 'deliveries', id, page],
    queryFn: ({ signal }) => api<Page<WebhookDelivery>>(`${PATH}/${id}/deliveries`, { query: page, signal }),
    placeholderData: keepPreviousData,
  });

/** Sends a delivery again now; the list refreshes to show it pending. */
export function useResend(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) =>
      api<WebhookDelivery>(`${PATH}/${id}/deliveries/${deliveryId}/resend`, { method: 'POST' }),
    onSuccess: () => client.invalidateQueries({ queryKey: [PATH, 'deliveries', id] }),
  });
}
