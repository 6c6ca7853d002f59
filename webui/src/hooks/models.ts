import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Alias, AliasCreate, AliasUpdate, Model, ModelCreate, ModelImportResult, ModelUpdate } from '../api/types';
import { resourceHooks } from './resource';

export const models = resourceHooks<Model, ModelCreate, ModelUpdate>('/admin/models');
export const aliases = resourceHooks<Alias, AliasCreate, AliasUpdate>('/admin/aliases');

export type CatalogSource = { url: string } | { catalog: Record<string, unknown> };

/** `POST /admin/models/import` with a URL or a parsed catalog file. */
export function useCatalogImport() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ source, providerId }: { source: CatalogSource; providerId?: string }) =>
      api<ModelImportResult>('/admin/models/import', {
        method: 'POST',
        body: { ...source, ...(providerId ? { provider_id: providerId } : {}) },
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['/admin/models'] }),
  });
}
