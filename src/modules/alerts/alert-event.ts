import { createHash } from 'node:crypto';

/** The events a webhook can subscribe to (SPEC §13). */
export const ALERT_TYPES = ['budget.threshold', 'budget.exceeded', 'key.expiring', 'routing.cooldown'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** What an alert is about: an API key or a team. */
export interface AlertSubject {
  type: 'key' | 'team';
  id: string;
  name: string;
}

/** `budget.threshold` (a threshold below 1 crossed) and `budget.exceeded` (the budget reached). */
export interface BudgetAlertData {
  subject: AlertSubject;
  /** The fraction of the budget crossed: 0.8, 1. */
  threshold: number;
  /** USD, a decimal string (a number is accepted). */
  budget_usd: string | number;
  spent_usd: string | number;
  /** The budget period the spend belongs to; `start` is its first day (ISO date or date-time). */
  period: { kind: 'day' | 'week' | 'month'; start: string };
}

export interface KeyExpiringData {
  subject: AlertSubject & { type: 'key' };
  /** ISO-8601. */
  expires_at: string;
}

export interface RoutingCooldownData {
  /** The model's name. */
  model: string;
  provider_id: string;
  /** ISO-8601: the end of the cooldown. */
  until: string;
}

export interface AlertDataByType {
  'budget.threshold': BudgetAlertData;
  'budget.exceeded': BudgetAlertData;
  'key.expiring': KeyExpiringData;
  'routing.cooldown': RoutingCooldownData;
}

/**
 * One alert, as published and as POSTed to webhooks. `id` is chosen by the publisher and deterministic (for
 * instance `budget.threshold:key:<uuid>:0.8:month:2026-12`): publishing the same id again delivers nothing more.
 */
export type AlertEvent<T extends AlertType = AlertType> = {
  [K in T]: { id: string; type: K; created_at: string; data: AlertDataByType[K] };
}[T];

/** A BullMQ job id for an event id: job ids may not contain ':', and a hash keeps any id short. */
export function alertJobId(eventId: string): string {
  return `ev-${createHash('sha256').update(eventId).digest('hex').slice(0, 40)}`;
}

export const isAlertType = (value: string): value is AlertType => (ALERT_TYPES as readonly string[]).includes(value);
