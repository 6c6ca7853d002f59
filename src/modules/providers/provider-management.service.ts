import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CacheInvalidationService } from '#src/core/cache/cache-invalidation.service';
import { AppConfig } from '#src/core/config/app-config';
import { newId } from '#src/core/database/ids';
import { AddressPolicy } from '#src/core/net/address-guard';
import { CredentialCipher } from '#src/modules/providers/credential-cipher.service';
import { type ProviderEntity, type ProviderType } from '#src/modules/providers/provider.entity';
import { ProviderRepository } from '#src/modules/providers/provider.repository';
import { ProviderConfigException, ProvidersException } from '#src/modules/providers/providers.exception';

/**
 * Credential fields each provider type accepts (all optional: a missing secret means the provider's default
 * chain, which only the provider's own endpoint ever gets).
 */
export const CREDENTIAL_FIELDS: Record<ProviderType, string[]> = {
  openai: ['api_key'],
  'azure-openai': ['api_key'],
  anthropic: ['api_key'],
  'vertex-ai': ['service_account_json'],
  bedrock: ['access_key_id', 'secret_access_key', 'session_token'],
};

/** Types whose missing credentials mean the pod's ambient cloud identity, and the fields that replace it. */
const AMBIENT: Partial<Record<ProviderType, string[]>> = {
  'vertex-ai': ['service_account_json'],
  bedrock: ['access_key_id', 'secret_access_key'],
};

export interface ProviderInput {
  name: string;
  type: ProviderType;
  baseUrl?: string | null;
  credentials?: Record<string, string> | null;
  config?: Record<string, unknown>;
  enabled?: boolean;
}

/**
 * Creates, changes and deletes providers; credentials are encrypted here and never leave decrypted. A write
 * never points stored secrets or the pod's cloud identity at an endpoint they were not given for: changing
 * base_url or type needs new credentials, a custom base_url needs stored cloud credentials, and base_url
 * hosts are checked against the address policy (again at connect time, see UpstreamHttp).
 */
@Injectable()
export class ProviderManagementService {
  private readonly addressPolicy: AddressPolicy;

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProviderRepository,
    private readonly cipher: CredentialCipher,
    private readonly invalidation: CacheInvalidationService,
    config: AppConfig,
  ) {
    this.addressPolicy = new AddressPolicy(config.providerAllowPrivateUrls);
  }

  async create(input: ProviderInput): Promise<ProviderEntity> {
    // the id is chosen first: the credentials are bound to it
    const id = newId();
    const encrypted = this.encrypt(id, input.type, input.credentials ?? null);
    this.checkEndpoint(input.type, input.baseUrl ?? null, encrypted.credentialsFields);
    const created = await this.dataSource.transaction(async (m) => {
      if (await this.providers.findByName(input.name, m)) throw ProvidersException.nameTaken(input.name);
      return this.providers.create({ ...input, ...encrypted, id }, m);
    });
    await this.invalidation.invalidate('providers');
    return created;
  }

  async update(id: string, patch: Partial<ProviderInput>): Promise<ProviderEntity> {
    const updated = await this.dataSource.transaction(async (m) => {
      const provider = await this.providers.findById(id, m);
      if (!provider) throw ProvidersException.notFound(id);
      if (
        patch.name !== undefined &&
        patch.name !== provider.name &&
        (await this.providers.findByName(patch.name, m))
      ) {
        throw ProvidersException.nameTaken(patch.name);
      }
      const type = patch.type ?? provider.type;
      const changed = [
        ...(patch.baseUrl !== undefined && (patch.baseUrl ?? null) !== provider.baseUrl ? ['base_url'] : []),
        ...(patch.type !== undefined && patch.type !== provider.type ? ['type'] : []),
      ];
      if (changed.length > 0 && patch.credentials === undefined && provider.credentialsFields.length > 0)
        throw ProviderConfigException.credentialsRequired(changed);
      if (patch.credentials !== undefined) Object.assign(provider, this.encrypt(provider.id, type, patch.credentials));
      else if (
        patch.type !== undefined &&
        patch.type !== provider.type &&
        provider.credentialsFields.some((f) => !CREDENTIAL_FIELDS[type].includes(f))
      ) {
        throw ProvidersException.invalid(`Changing the type to '${type}' needs new credentials`);
      }
      if (patch.name !== undefined) provider.name = patch.name;
      if (patch.type !== undefined) provider.type = patch.type;
      if (patch.baseUrl !== undefined) provider.baseUrl = patch.baseUrl;
      if (patch.config !== undefined) provider.config = patch.config;
      if (patch.enabled !== undefined) provider.enabled = patch.enabled;
      this.checkEndpoint(provider.type, provider.baseUrl, provider.credentialsFields);
      return this.providers.save(provider, m);
    });
    await this.invalidation.invalidate('providers');
    return updated;
  }

  async delete(id: string): Promise<ProviderEntity> {
    const deleted = await this.dataSource.transaction(async (m) => {
      const provider = await this.providers.findById(id, m);
      if (!provider) throw ProvidersException.notFound(id);
      const users = await this.providers.namesOfModelsUsing(id, 10, m);
      if (users.length > 0) throw ProvidersException.inUse(provider.name, users);
      await this.providers.delete(id, m);
      return provider;
    });
    await this.invalidation.invalidate('providers');
    return deleted;
  }

  /** Refuses a custom endpoint that would get ambient cloud credentials, or whose host the policy refuses. */
  private checkEndpoint(type: ProviderType, baseUrl: string | null, credentialsFields: string[]): void {
    if (!baseUrl) return;
    const needed = AMBIENT[type];
    if (needed && !needed.every((f) => credentialsFields.includes(f)))
      throw ProviderConfigException.ambientCredentials(type, needed.join(' and '));
    let host: string;
    try {
      host = new URL(baseUrl).hostname;
    } catch {
      throw ProvidersException.invalid('base_url must be an absolute http(s) URL');
    }
    const refused = this.addressPolicy.checkHost(host);
    if (refused)
      throw ProviderConfigException.addressRefused(
        refused.always ? refused.message : `${refused.message}; set PROVIDER_ALLOW_PRIVATE_URLS=true to allow it`,
      );
  }

  private encrypt(
    providerId: string,
    type: ProviderType,
    credentials: Record<string, string> | null,
  ): { credentialsCiphertext: string | null; credentialsFields: string[] } {
    if (!credentials || Object.keys(credentials).length === 0)
      return { credentialsCiphertext: null, credentialsFields: [] };
    const unknown = Object.keys(credentials).filter((k) => !CREDENTIAL_FIELDS[type].includes(k));
    if (unknown.length > 0)
      throw ProvidersException.invalid(
        `Credential fields not used by '${type}': ${unknown.join(', ')} (expected ${CREDENTIAL_FIELDS[type].join(', ')})`,
      );
    for (const [k, v] of Object.entries(credentials)) {
      if (typeof v !== 'string' || v === '')
        throw ProvidersException.invalid(`credentials.${k} must be a non-empty string`);
    }
    return {
      credentialsCiphertext: this.cipher.encrypt(credentials, providerId),
      credentialsFields: Object.keys(credentials).sort(),
    };
  }
}
