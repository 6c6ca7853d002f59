import { describe, expect, it } from 'vitest';
import { validateUser } from '../pages/users';
import { allowlistProblem, apiKeyBody, apiKeyFormFrom, emptyApiKeyForm } from './api-key-form';
import { cacheFormFrom, cacheText, parseCache } from './cache-field';
import {
  formatThresholds,
  parseAmount,
  parseJsonObject,
  parseLimit,
  parseList,
  parseTags,
  parseThresholds,
} from './fields';
import { budgetText, emptyTeamForm, teamBody, teamFormFrom, thresholdsText } from './team-form';
import { emptyWebhookForm, webhookBody, webhookFormFrom } from './webhook-form';
import { newPriceRow, pricingBody } from './pricing';

describe('cache setting fields', () => {
  it('sends null for an empty time, the setting for a duration up to 7d, and names a bad one', () => {
    expect(parseCache({ ttl: ' ', scope: 'global' })).toEqual({ ok: true, value: null });
    expect(parseCache({ ttl: '15m', scope: 'team' })).toEqual({ ok: true, value: { ttl: '15m', scope: 'team' } });
    expect(parseCache({ ttl: '0s', scope: 'key' })).toEqual({ ok: true, value: { ttl: '0s', scope: 'key' } });
    expect(parseCache({ ttl: '7d', scope: 'key' }).ok).toBe(true);
    expect(parseCache({ ttl: '8d', scope: 'key' })).toEqual({ ok: false, error: 'Cache time: at most 7d.' });
    expect(parseCache({ ttl: 'soon', scope: 'key' }).ok).toBe(false);
    expect(cacheFormFrom({ ttl: '1h', scope: 'global' })).toEqual({ ttl: '1h', scope: 'global' });
    expect(cacheText(null)).toBe('not set');
    expect(cacheText({ ttl: '1h', scope: 'team' })).toBe('1h, per team');
  });
});

describe('API key form', () => {
  it('sends every field, empty ones as "no limit", "no budget", "never" and "all models"', () => {
    const result = apiKeyBody({ ...emptyApiKeyForm(), name: ' search ' });
    expect(result).toEqual({
      ok: true,
      body: {
        name: 'search',
        enabled: true,
        allowed_models: [],
        rate_limit: null,
        tokens_per_minute: null,
        budget: null,
        budget_period: 'month',
        alert_thresholds: null,
        team_id: null,
        expires_at: null,
        tags: {},
        cache: null,
      },
    });
  });

  it('parses limits, the budget as a decimal string, models, tags and the expiry', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const result = apiKeyBody(
      {
        ...emptyApiKeyForm(),
        name: 'k',
        rateLimit: '60',
        tokensPerMinute: '0',
        budget: '$25.50',
        allowedModels: 'gpt-4o-mini, fast\nfast',
        tags: 'team=search\nenv = prod',
        expiresAt: '2027-03-01T12:00',
      },
      now,
    );
    expect(result.ok && result.body).toMatchObject({
      rate_limit: 60,
      tokens_per_minute: 0,
      budget: '25.50',
      allowed_models: ['gpt-4o-mini', 'fast'],
      tags: { team: 'search', env: 'prod' },
    });
    expect(result.ok && Date.parse(result.body.expires_at!)).toBe(new Date('2027-03-01T12:00').getTime());
  });

  it('names every problem at once, in words', () => {
    const result = apiKeyBody(
      { ...emptyApiKeyForm(), rateLimit: '-1', budget: 'ten', tags: 'team', expiresAt: '2000-01-01T00:00' },
      Date.parse('2026-01-01T00:00:00Z'),
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && Object.keys(result.errors).sort()).toEqual([
      'budget',
      'expiresAt',
      'name',
      'rateLimit',
      'tags',
    ]);
    expect(!result.ok && result.errors.expiresAt).toBe('The expiry must be in the future.');
  });
  it('sends the team and the alert thresholds as fractions', () => {
    const result = apiKeyBody({ ...emptyApiKeyForm(), name: 'k', teamId: 't-1', alertThresholds: '50, 80%, 100' });
    expect(result.ok && result.body).toMatchObject({ team_id: 't-1', alert_thresholds: [0.5, 0.8, 1] });
  });

  it('keeps a key of a team that lists models within the team’s models, in words', () => {
    const team = { name: 'search', allowed_models: ['gpt-4o-mini', 'fast'] };
    const form = { ...emptyApiKeyForm(), name: 'k', teamId: 't-1' };
    expect(apiKeyBody({ ...form, allowedModels: 'fast' }, undefined, team).ok).toBe(true);
    expect(!apiKeyBody(form, undefined, team).ok && apiKeyBody(form, undefined, team)).toMatchObject({
      errors: {
        allowedModels: 'Team "search" allows only gpt-4o-mini, fast: list the models this key may use, within those.',
      },
    });
    expect(apiKeyBody({ ...form, allowedModels: 'fast, o3' }, undefined, team)).toEqual({
      ok: false,
      errors: { allowedModels: 'Team "search" does not allow o3. Its models: gpt-4o-mini, fast.' },
    });
    // no team chosen, or a team without a list: any allowlist
    expect(apiKeyBody({ ...form, teamId: '' }, undefined, team).ok).toBe(true);
    expect(allowlistProblem([], { name: 'open', allowed_models: [] })).toBeUndefined();
  });

  it('reads a key back into the form, thresholds as percentages', () => {
    const form = apiKeyFormFrom({
      id: 'k1',
      name: 'k',
      enabled: true,
      allowed_models: ['fast'],
      rate_limit: null,
      tokens_per_minute: 10,
      budget: '20',
      budget_period: 'day',
      monthly_budget: null,
      alert_thresholds: [0.07, 0.8, 1],
      team_id: 't-1',
      cache: null,
      expires_at: null,
      tags: {},
      key_prefix: 'sk-gw-x',
      revoked_at: null,
      deleted_at: null,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    });
    expect(form).toMatchObject({
      teamId: 't-1',
      alertThresholds: '7, 80, 100',
      budgetPeriod: 'day',
      tokensPerMinute: '10',
    });
  });
});

describe('team form', () => {
  it('sends every field, empty ones as no limit, no budget, default alerts and all models', () => {
    expect(teamBody({ ...emptyTeamForm(), name: ' search ' })).toEqual({
      ok: true,
      body: {
        name: 'search',
        enabled: true,
        allowed_models: [],
        rate_limit: null,
        tokens_per_minute: null,
        budget: null,
        budget_period: 'month',
        alert_thresholds: null,
        tags: {},
        cache: null,
      },
    });
  });

  it('parses a weekly budget, limits, models, alerts and tags', () => {
    const result = teamBody({
      ...emptyTeamForm(),
      name: 'search',
      budget: '$200',
      budgetPeriod: 'week',
      rateLimit: '600',
      tokensPerMinute: '100000',
      allowedModels: 'gpt-4o-mini fast',
      alertThresholds: '100, 50',
      tags: 'cost_center=cc-42',
      enabled: false,
      cache: { ttl: '30m', scope: 'team' },
    });
    expect(result).toEqual({
      ok: true,
      body: {
        name: 'search',
        enabled: false,
        allowed_models: ['gpt-4o-mini', 'fast'],
        rate_limit: 600,
        tokens_per_minute: 100000,
        budget: '200',
        budget_period: 'week',
        alert_thresholds: [0.5, 1],
        tags: { cost_center: 'cc-42' },
        cache: { ttl: '30m', scope: 'team' },
      },
    });
    expect(budgetText('200', 'week')).toBe('$200.00 / week');
    expect(budgetText(null, 'month')).toBe('none');
    expect(thresholdsText([0.8, 1])).toBe('80 %, 100 %');
  });

  it('names every problem at once', () => {
    const result = teamBody({
      ...emptyTeamForm(),
      rateLimit: '1.5',
      tokensPerMinute: '-3',
      budget: 'lots',
      alertThresholds: '80, 120',
      tags: 'x',
    });
    expect(!result.ok && Object.keys(result.errors).sort()).toEqual([
      'alertThresholds',
      'budget',
      'name',
      'rateLimit',
      'tags',
      'tokensPerMinute',
    ]);
  });

  it('round-trips a team through the form', () => {
    const team = {
      id: 't1',
      name: 'search',
      enabled: true,
      allowed_models: ['fast'],
      rate_limit: 600,
      tokens_per_minute: null,
      budget: '200',
      budget_period: 'week' as const,
      alert_thresholds: [0.5, 0.9, 1],
      tags: { cost_center: 'cc-42' },
      cache: { ttl: '1h', scope: 'team' as const },
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    };
    const result = teamBody(teamFormFrom(team));
    expect(result.ok && result.body).toMatchObject({
      allowed_models: ['fast'],
      rate_limit: 600,
      tokens_per_minute: null,
      budget: '200',
      budget_period: 'week',
      alert_thresholds: [0.5, 0.9, 1],
      tags: { cost_center: 'cc-42' },
    });
  });
});

describe('alert thresholds', () => {
  it.each([
    ['', null],
    ['80, 100', [0.8, 1]],
    ['100 80 80', [0.8, 1]],
    ['50%; 75.5%', [0.5, 0.755]],
    ['0.5%', [0.005]],
  ])('reads %j as %j', (text, fractions) => {
    expect(parseThresholds(text)).toEqual({ ok: true, value: fractions });
  });

  it.each([
    ['0.8', '0.8 would alert at 0.8 % of the budget. Write percentages (80 for 80 %), or 0.8% if meant.'],
    ['0', '0 is outside 0 to 100 %: each alert is above 0 and at most 100.'],
    ['150', '150 is outside 0 to 100 %: each alert is above 0 and at most 100.'],
    ['eighty', '"eighty" is not a percentage: write numbers such as 50, 80, 100.'],
    ['-5', '"-5" is not a percentage: write numbers such as 50, 80, 100.'],
    ['1,2,3,4,5,6,7,8,9,10,11', 'At most 10 alert thresholds.'],
  ])('refuses %j in words', (text, error) => {
    expect(parseThresholds(text)).toEqual({ ok: false, error });
  });

  it('writes fractions back as percentages without float noise', () => {
    expect(formatThresholds([0.07, 0.8, 1])).toBe('7, 80, 100');
    expect(formatThresholds(null)).toBe('');
    expect(parseThresholds(formatThresholds([0.07, 0.555, 1]))).toEqual({ ok: true, value: [0.07, 0.555, 1] });
  });
});

describe('webhook form', () => {
  const form = { ...emptyWebhookForm(), url: ' https://hooks.example.com/llm ' };

  it('creates with the events in a stable order, a secret only when given', () => {
    expect(webhookBody({ ...form, events: ['key.expiring', 'budget.threshold'] }, true)).toEqual({
      ok: true,
      body: {
        url: 'https://hooks.example.com/llm',
        events: ['budget.threshold', 'key.expiring'],
        format: 'json',
        enabled: true,
      },
    });
    expect(webhookBody({ ...form, secret: 'whsec-canary-1', format: 'slack' }, true)).toMatchObject({
      ok: true,
      body: { secret: 'whsec-canary-1', format: 'slack' },
    });
  });

  it('on an edit keeps, replaces or removes the write-only secret', () => {
    const stored = webhookFormFrom({
      id: 'w1',
      url: 'https://hooks.example.com/llm',
      secret_set: true,
      events: ['budget.exceeded'],
      format: 'json',
      enabled: true,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    });
    expect(stored).toMatchObject({ secretMode: 'keep', secret: '' });
    const keep = webhookBody(stored, false);
    expect(keep.ok && 'secret' in keep.body).toBe(false);
    expect(webhookBody({ ...stored, secretMode: 'remove', secret: 'ignored' }, false)).toMatchObject({
      ok: true,
      body: { secret: null },
    });
    expect(webhookBody({ ...stored, secretMode: 'replace', secret: 'whsec-canary-2' }, false)).toMatchObject({
      ok: true,
      body: { secret: 'whsec-canary-2' },
    });
    expect(webhookBody({ ...stored, secretMode: 'replace', secret: 'short' }, false)).toEqual({
      ok: false,
      errors: { secret: 'The new secret needs 8 to 512 characters.' },
    });
  });

  it('needs an http(s) URL, a long enough secret and at least one event', () => {
    expect(webhookBody({ ...emptyWebhookForm(), url: 'hooks.example.com', secret: 'short', events: [] }, true)).toEqual(
      {
        ok: false,
        errors: {
          url: 'The URL must start with https:// (or http://).',
          secret: 'A signing secret needs 8 to 512 characters (or leave it empty for unsigned deliveries).',
          events: 'Choose at least one event.',
        },
      },
    );
    expect(webhookBody({ ...emptyWebhookForm() }, true)).toMatchObject({
      ok: false,
      errors: { url: 'Enter the URL the gateway should POST alerts to.' },
    });
  });
});

describe('field parsers', () => {
  it('reads limits and amounts', () => {
    expect(parseLimit('', 'x')).toEqual({ ok: true, value: null });
    expect(parseLimit('1.5', 'Requests')).toMatchObject({ ok: false });
    expect(parseAmount('0', 'Budget')).toEqual({ ok: true, value: '0' });
    expect(parseAmount('1e3', 'Budget')).toMatchObject({ ok: false });
  });

  it('reads tags and lists', () => {
    expect(parseTags('a=1, b=x=y')).toEqual({ ok: true, value: { a: '1', b: 'x=y' } });
    expect(parseTags('=v')).toMatchObject({ ok: false });
    expect(parseTags('k=')).toEqual({ ok: false, error: 'Tag "k" has no value.' });
    expect(parseList(' a,b  a\nc ')).toEqual(['a', 'b', 'c']);
  });

  it('accepts only JSON objects', () => {
    expect(parseJsonObject('', 'Config')).toEqual({ ok: true, value: {} });
    expect(parseJsonObject('{"temperature":0.2}', 'Config')).toEqual({ ok: true, value: { temperature: 0.2 } });
    expect(parseJsonObject('[1]', 'Config')).toMatchObject({ ok: false });
    expect(parseJsonObject('{', 'Config')).toEqual({ ok: false, error: 'Config is not valid JSON.' });
  });
});

describe('pricing editor', () => {
  it('refuses bad prices and tiers and a component given twice', () => {
    const rows = [
      { ...newPriceRow(), price: '0.15' },
      { ...newPriceRow(), price: '0.15' },
      { ...newPriceRow(), tier: 'cheap', price: 'x' },
    ];
    const result = pricingBody(rows);
    expect(!result.ok && result.errors).toEqual([
      'Row 2: the same direction, modality, unit and tier appear twice.',
      'Row 3: the price must be a USD amount such as 0.15.',
      'Row 3: the tier must be default, priority, flex, batch or above_<N>k.',
    ]);
    expect(pricingBody([{ ...newPriceRow(), tier: ' above_128k ', price: '2.5 ' }])).toEqual({
      ok: true,
      pricing: [{ direction: 'input', modality: 'text', unit: '1m_tokens', tier: 'above_128k', price: '2.5' }],
    });
  });
});

describe('admin user form', () => {
  it('needs a password for a new user only', () => {
    expect(validateUser({ email: 'a@b', password: '', roles: ['viewer'] }, true).password).toBeDefined();
    expect(validateUser({ email: 'a@b', password: '', roles: ['viewer'] }, false)).toEqual({
      email: undefined,
      password: undefined,
      roles: undefined,
    });
    expect(validateUser({ email: 'nope', password: 'short', roles: [] }, false)).toEqual({
      email: 'Enter an email address.',
      password: 'The password needs at least 8 characters.',
      roles: 'Give at least one role.',
    });
  });
});
