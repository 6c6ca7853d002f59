import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { ApiKeyManagementService } from '#src/modules/keys/api-key-management.service';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import type { PricingComponentInput } from '#src/modules/models/pricing-validation';
import { PROVIDER_TYPES, type ProviderType } from '#src/modules/providers/provider.entity';
import { ProviderManagementService } from '#src/modules/providers/provider-management.service';
import { ProviderRepository } from '#src/modules/providers/provider.repository';

type Out = (line: string) => void;

export class CliUsageError extends Error {}

function json<T>(flag: string, raw: string | undefined): T | undefined {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new CliUsageError(`--${flag} must be valid JSON`);
  }
}

function int(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new CliUsageError(`--${flag} must be a non-negative integer`);
  return Number(raw);
}

function required(flag: string, v: string | undefined): string {
  if (!v) throw new CliUsageError(`--${flag} is required`);
  return v;
}

export async function addProvider(ctx: INestApplicationContext, args: string[], out: Out): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      type: { type: 'string', default: 'openai' },
      'base-url': { type: 'string' },
      'api-key': { type: 'string' },
      'credentials-json': { type: 'string' },
      'credentials-file': { type: 'string' },
      'config-json': { type: 'string' },
    },
  });
  const type = v.type as ProviderType;
  if (!PROVIDER_TYPES.includes(type)) throw new CliUsageError(`--type must be one of ${PROVIDER_TYPES.join(', ')}`);
  let credentials = json<Record<string, string>>('credentials-json', v['credentials-json']);
  if (v['credentials-file']) credentials = json('credentials-file', readFileSync(v['credentials-file'], 'utf8'));
  if (v['api-key'] !== undefined) credentials = { ...credentials, api_key: v['api-key'] };
  const empty = Object.entries(credentials ?? {}).filter(([, value]) => typeof value === 'string' && !value.trim());
  if (empty.length > 0)
    throw new CliUsageError(
      `empty credential ${empty.map(([key]) => key).join(', ')} (an unset shell variable?): give the value, or leave it out for a provider that needs none`,
    );
  const provider = await ctx.get(ProviderManagementService).create({
    name: required('name', v.name),
    type,
    baseUrl: v['base-url'] ?? null,
    credentials: credentials ?? null,
    config: json('config-json', v['config-json']) ?? {},
  });
  out(`provider created: ${provider.name} (${provider.type}) id=${provider.id}`);
  return 0;
}

export async function addModel(ctx: INestApplicationContext, args: string[], out: Out): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      provider: { type: 'string' },
      'provider-model-id': { type: 'string' },
      'context-window': { type: 'string' },
      'max-output-tokens': { type: 'string' },
      'input-price-per-1m': { type: 'string' },
      'output-price-per-1m': { type: 'string' },
      'pricing-json': { type: 'string' },
      capabilities: { type: 'string' },
    },
  });
  const providerName = required('provider', v.provider);
  const provider = await ctx.get(ProviderRepository).findByName(providerName);
  if (!provider) throw new CliUsageError(`no provider named '${providerName}' (add it with add-provider)`);
  const pricing: PricingComponentInput[] = json('pricing-json', v['pricing-json']) ?? [];
  if (v['input-price-per-1m']) pricing.push({ direction: 'input', unit: '1m_tokens', price: v['input-price-per-1m'] });
  if (v['output-price-per-1m'])
    pricing.push({ direction: 'output', unit: '1m_tokens', price: v['output-price-per-1m'] });
  const model = await ctx.get(ModelManagementService).createModel({
    name: required('name', v.name),
    providerId: provider.id,
    providerModelId: v['provider-model-id'] ?? null,
    contextWindow: int('context-window', v['context-window']) ?? null,
    maxOutputTokens: int('max-output-tokens', v['max-output-tokens']) ?? null,
    capabilities: v.capabilities ? v.capabilities.split(',').map((c) => c.trim()) : [],
    pricing,
  });
  out(
    `model created: ${model.name} → ${provider.name}${model.providerModelId ? ` (${model.providerModelId})` : ''} id=${model.id}, ${model.pricing.length} price component(s)`,
  );
  return 0;
}

export async function createApiKey(ctx: INestApplicationContext, args: string[], out: Out): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      models: { type: 'string' },
      'rate-limit': { type: 'string' },
      'tokens-per-minute': { type: 'string' },
      'monthly-budget': { type: 'string' },
      'expires-at': { type: 'string' },
      tag: { type: 'string', multiple: true },
    },
  });
  const tags = Object.fromEntries(
    (v.tag ?? []).map((t) => {
      const i = t.indexOf('=');
      if (i < 1) throw new CliUsageError('--tag must be key=value');
      return [t.slice(0, i), t.slice(i + 1)];
    }),
  );
  const expiresAt = v['expires-at'] ? new Date(v['expires-at']) : null;
  if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new CliUsageError('--expires-at must be an ISO-8601 date');
  const { key, plaintext } = await ctx.get(ApiKeyManagementService).create({
    name: required('name', v.name),
    allowedModels: v.models
      ? v.models
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean)
      : [],
    rateLimit: int('rate-limit', v['rate-limit']) ?? null,
    tokensPerMinute: int('tokens-per-minute', v['tokens-per-minute']) ?? null,
    monthlyBudget: v['monthly-budget'] ?? null,
    expiresAt,
    tags,
  });
  out(`API key created: ${key.name} id=${key.id}`);
  out(`key (shown once): ${plaintext}`);
  return 0;
}
