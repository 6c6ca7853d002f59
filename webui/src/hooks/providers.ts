import type { Provider, ProviderCreate, ProviderTestResult, ProviderUpdate } from '../api/types';
import { resourceHooks } from './resource';

export const providers = resourceHooks<Provider, ProviderCreate, ProviderUpdate>('/admin/providers');

/** `POST /admin/providers/:id/test`: a minimal real call through the provider. */
export const useProviderTest = () => providers.useAction<ProviderTestResult>('test', false);

/** The credential fields each provider type takes (see the API's ProviderCreateDto). */
export const CREDENTIAL_FIELDS: Record<Provider['type'], string[]> = {
  openai: ['api_key'],
  'azure-openai': ['api_key'],
  anthropic: ['api_key'],
  'vertex-ai': ['service_account_json'],
  bedrock: ['access_key_id', 'secret_access_key', 'session_token'],
};

export const PROVIDER_TYPES = Object.keys(CREDENTIAL_FIELDS) as Provider['type'][];
