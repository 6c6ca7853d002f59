import { useMutation } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Provider, ProviderCreate, ProviderTestRequest, ProviderTestResult, ProviderUpdate } from '../api/types';
import { resourceHooks } from './resource';

export const providers = resourceHooks<Provider, ProviderCreate, ProviderUpdate>('/admin/providers');

/** `POST /admin/providers/:id/test`: one minimal real call through the provider (its first enabled model). */
export const useProviderTest = () =>
  useMutation({
    mutationFn: ({ id, body = {} }: { id: string; body?: ProviderTestRequest }) =>
      api<ProviderTestResult>(`/admin/providers/${id}/test`, { method: 'POST', body }),
  });

/** The credential fields each provider type takes (see the API's ProviderCreateDto). */
export const CREDENTIAL_FIELDS: Record<Provider['type'], string[]> = {
  openai: ['api_key'],
  'azure-openai': ['api_key'],
  anthropic: ['api_key'],
  'vertex-ai': ['service_account_json'],
  bedrock: ['access_key_id', 'secret_access_key', 'session_token'],
};

export const PROVIDER_TYPES = Object.keys(CREDENTIAL_FIELDS) as Provider['type'][];
