import { InitialSchema1763856000000 } from '#migrations/1763856000000-InitialSchema';
import { AdminCredentialVersion1764950000000 } from '#migrations/1764950000000-AdminCredentialVersion';
import { AliasRouting1765000000000 } from '#migrations/1765000000000-AliasRouting';
import { ModelQuotas1765000100000 } from '#migrations/1765000100000-ModelQuotas';
import { ResponseCache1765200000000 } from '#migrations/1765200000000-ResponseCache';
import { AdminUserOidc1765300000000 } from '#migrations/1765300000000-AdminUserOidc';
import { Webhooks1765400000000 } from '#migrations/1765400000000-Webhooks';
import { TeamsAndBudgetPeriods1765500000000 } from '#migrations/1765500000000-TeamsAndBudgetPeriods';
import { TeamCache1765600000000 } from '#migrations/1765600000000-TeamCache';

/** Every migration, oldest first. A new migration is added here and never edited once merged. */
export const MIGRATIONS = [
  InitialSchema1763856000000,
  AdminCredentialVersion1764950000000,
  AliasRouting1765000000000,
  ModelQuotas1765000100000,
  ResponseCache1765200000000,
  AdminUserOidc1765300000000,
  Webhooks1765400000000,
  TeamsAndBudgetPeriods1765500000000,
  TeamCache1765600000000,
];
