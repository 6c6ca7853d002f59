import type { components } from './schema.gen';

/** Admin API shapes, generated from the gateway's OpenAPI document (schema.gen.ts, built by npm run build). */
type Schemas = components['schemas'];

export type ApiKey = Schemas['ApiKeyResponseDto'];
export type ApiKeyCreated = Schemas['ApiKeyCreatedDto'];
export type ApiKeyCreate = Schemas['ApiKeyCreateDto'];
export type ApiKeyUpdate = Schemas['ApiKeyUpdateDto'];
export type Provider = Schemas['ProviderResponseDto'];
export type ProviderCreate = Schemas['ProviderCreateDto'];
export type ProviderUpdate = Schemas['ProviderUpdateDto'];
export type ProviderType = Provider['type'];
export type Model = Schemas['ModelResponseDto'];
export type ModelCreate = Schemas['ModelCreateDto'];
export type ModelUpdate = Schemas['ModelUpdateDto'];
export type PricingComponent = Schemas['PricingComponentResponseDto'];
export type ModelImportResult = Schemas['ModelImportResultDto'];
export type Alias = Schemas['AliasResponseDto'];
export type AliasCreate = Schemas['AliasCreateDto'];
export type AliasUpdate = Schemas['AliasUpdateDto'];
export type AliasRouting = Schemas['AliasRoutingDto'];
export type AliasRoutingView = Schemas['AliasRoutingViewDto'];
export type UsageReport = Schemas['UsageReportDto'];
export type UsageRow = Schemas['UsageRowDto'];
export type UsageCounters = Schemas['UsageCountersDto'];
export type UsageOverview = Schemas['UsageOverviewDto'];
export type OverviewTop = Schemas['OverviewTopDto'];
export type AdminUser = Schemas['AdminUserResponseDto'];
export type AdminUserCreate = Schemas['AdminUserCreateDto'];
export type AdminUserUpdate = Schemas['AdminUserUpdateDto'];
export type ServiceToken = Schemas['ServiceTokenResponseDto'];
export type ServiceTokenCreated = Schemas['ServiceTokenCreatedDto'];
export type ServiceTokenCreate = Schemas['ServiceTokenCreateDto'];
export type ServiceTokenUpdate = Schemas['ServiceTokenUpdateDto'];
export type AdminAuditEntry = Schemas['AdminAuditResponseDto'];
export type Team = Schemas['TeamResponseDto'];
export type TeamCreate = Schemas['TeamCreateDto'];
export type TeamUpdate = Schemas['TeamUpdateDto'];
export type Webhook = Schemas['WebhookResponseDto'];
export type WebhookCreate = Schemas['WebhookCreateDto'];
export type WebhookUpdate = Schemas['WebhookUpdateDto'];
export type WebhookDelivery = Schemas['WebhookDeliveryDto'];
export type AlertType = Webhook['events'][number];
export type WebhookFormat = Webhook['format'];
export type Role = AdminUser['roles'][number];

export interface Page<T> {
  data: T[];
  total: number;
}

/** `/ui/session` (console backend-for-frontend, outside /admin and so not in the generated document). */
export interface SessionUser {
  id: string;
  email: string;
  roles: Role[];
}

export type ProviderTestResult = Schemas['ProviderTestResultDto'];
export type ProviderTestRequest = Schemas['ProviderTestRequestDto'];

/** `group_by` of the usage reports, in the API's order (the order of the row's key columns). */
export type UsageGroup = 'api_key' | 'team' | 'end_user' | 'model' | 'provider' | 'day';
export const USAGE_GROUPS: readonly UsageGroup[] = ['api_key', 'team', 'end_user', 'model', 'provider', 'day'];
export type CacheSetting = Schemas['CacheSettingDto'];
