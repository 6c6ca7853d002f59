import { describe, expect, it } from 'vitest';
import { validateUser } from '../pages/users';
import { apiKeyBody, emptyApiKeyForm } from './api-key-form';
import { parseAmount, parseJsonObject, parseLimit, parseList, parseTags } from './fields';
import { newPriceRow, pricingBody } from './pricing';

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
        expires_at: null,
        tags: {},
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
      'expiresAt',
      'budget',
      'name',
      'rateLimit',
      'tags',
    ]);
    expect(!result.ok && result.errors.expiresAt).toBe('The expiry must be in the future.');
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
