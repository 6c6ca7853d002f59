import { describe, expect, it } from 'vitest';
import type { AliasRoutingView, Model } from '../api/types';
import { ApiError } from '../api/errors';
import {
  aliasErrorText,
  aliasTarget,
  describeRetries,
  newRoutingForm,
  type RoutingForm,
  routingBody,
  routingFormFrom,
  targetGroups,
} from './routing';

const form = (patch: Partial<RoutingForm> = {}): RoutingForm => ({
  strategy: 'weighted',
  targets: [
    { model: 'gpt-4o-mini', weight: '3', priority: '0' },
    { model: 'azure-gpt-4o-mini', weight: '1', priority: '0' },
    { model: 'claude-haiku', weight: '1', priority: '1' },
  ],
  retries: 1,
  retryOn: ['429', '5xx', 'timeout', 'connect'],
  attemptTimeout: '',
  ...patch,
});

const VIEW: AliasRoutingView = {
  strategy: 'weighted',
  targets: [
    { model: 'azure-gpt-4o-mini', model_id: 'id-b', weight: 1, priority: 0 },
    { model: 'claude-haiku', model_id: 'id-c', weight: 1, priority: 1 },
    { model: 'gpt-4o-mini', model_id: 'id-a', weight: 3, priority: 0 },
  ],
  retries: 1,
  retry_on: ['5xx', '429'],
  attempt_timeout: null,
};

describe('routing form', () => {
  it('serializes targets with numbers, retries and retry_on in the API order', () => {
    const result = routingBody(form({ retryOn: ['timeout', '429'], retries: 2 }));
    expect(result).toEqual({
      ok: true,
      routing: {
        strategy: 'weighted',
        targets: [
          { model: 'gpt-4o-mini', weight: 3, priority: 0 },
          { model: 'azure-gpt-4o-mini', weight: 1, priority: 0 },
          { model: 'claude-haiku', weight: 1, priority: 1 },
        ],
        retries: 2,
        retry_on: ['429', 'timeout'],
        attempt_timeout: null,
      },
    });
  });

  it('sends an attempt timeout as typed, and refuses one that is not a duration', () => {
    const timed = routingBody(form({ attemptTimeout: ' 1500ms ', strategy: 'latency' }));
    expect(timed.ok && timed.routing).toMatchObject({ strategy: 'latency', attempt_timeout: '1500ms' });
    expect(routingBody(form({ attemptTimeout: 'soon' }))).toEqual({
      ok: false,
      errors: ['The attempt timeout must be a duration such as 30s or 500ms, or empty for none.'],
    });
  });

  it('accepts decimal weights and an empty retry_on (nothing retried)', () => {
    const result = routingBody(form({ targets: [{ model: 'a', weight: ' 0.5 ', priority: '100' }], retryOn: [] }));
    expect(result.ok && result.routing).toMatchObject({
      targets: [{ model: 'a', weight: 0.5, priority: 100 }],
      retry_on: [],
    });
  });

  it('refuses no target, a model twice or unchosen, a weight of 0 and a priority outside 0-100', () => {
    expect(routingBody(form({ targets: [] }))).toEqual({ ok: false, errors: ['Add at least one target.'] });
    const result = routingBody(
      form({
        targets: [
          { model: 'a', weight: '1', priority: '0' },
          { model: 'a', weight: '0', priority: '1.5' },
          { model: '', weight: '-1', priority: '101' },
          { model: 'b', weight: 'x', priority: '' },
        ],
      }),
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        'Target 2: a is already a target; name each model once.',
        'Target 2: the weight must be a number above 0 (up to 1,000,000).',
        'Target 2: the priority must be a whole number from 0 to 100.',
        'Target 3: choose a model.',
        'Target 3: the weight must be a number above 0 (up to 1,000,000).',
        'Target 3: the priority must be a whole number from 0 to 100.',
        'Target 4: the weight must be a number above 0 (up to 1,000,000).',
        'Target 4: the priority must be a whole number from 0 to 100.',
      ],
    });
  });

  it('refuses more than 16 targets and retries above 5', () => {
    const many = Array.from({ length: 17 }, (_, i) => ({ model: `m${i}`, weight: '1', priority: '0' }));
    expect(routingBody(form({ targets: many, retries: 6 }))).toEqual({
      ok: false,
      errors: ['At most 16 targets.', 'Retries must be a whole number from 0 to 5.'],
    });
  });

  it("reads an alias's routing back, naming a target by its model id when the API had no name", () => {
    const models = [{ id: 'id-c', name: 'claude-haiku' }] as Model[];
    const back = routingFormFrom(
      { ...VIEW, targets: [{ model: null, model_id: 'id-c', weight: 2.5, priority: 1 }] },
      models,
    );
    expect(back).toEqual({
      strategy: 'weighted',
      targets: [{ model: 'claude-haiku', weight: '2.5', priority: '1' }],
      retries: 1,
      retryOn: ['429', '5xx'],
      attemptTimeout: '',
    });
    expect(routingFormFrom({ ...VIEW, attempt_timeout: '30s' }, models).attemptTimeout).toBe('30s');
  });

  it('round-trips: what the form reads back serializes to the same routing', () => {
    const back = routingFormFrom(VIEW, []);
    const result = routingBody(back);
    expect(result.ok && result.routing.targets).toEqual(
      VIEW.targets.map(({ model, weight, priority }) => ({ model, weight, priority })),
    );
  });

  it('starts a new routing with the API defaults and the current model as first target', () => {
    expect(newRoutingForm('gpt-4o-mini')).toEqual({
      strategy: 'weighted',
      targets: [{ model: 'gpt-4o-mini', weight: '1', priority: '0' }],
      retries: 1,
      retryOn: ['429', '5xx', 'timeout', 'connect'],
      attemptTimeout: '',
    });
  });
});

describe('alias body', () => {
  it('sends model_id and routing null for one model', () => {
    expect(aliasTarget('model', 'id-a', form())).toEqual({ ok: true, fields: { model_id: 'id-a', routing: null } });
    expect(aliasTarget('model', '', form())).toEqual({ ok: false, errors: ['Choose the model it stands for.'] });
  });

  it('sends routing without model_id when routing', () => {
    const result = aliasTarget('routing', 'id-a', form());
    expect(result.ok && result.fields).not.toHaveProperty('model_id');
    expect(result.ok && result.fields.routing?.targets).toHaveLength(3);
  });
});

describe('routing in the list', () => {
  it('groups targets by priority, heaviest first, with their share of a shared group under weighted', () => {
    expect(targetGroups(VIEW)).toEqual([
      {
        priority: 0,
        targets: [
          { model: 'gpt-4o-mini', weight: 3, share: 75 },
          { model: 'azure-gpt-4o-mini', weight: 1, share: 25 },
        ],
      },
      { priority: 1, targets: [{ model: 'claude-haiku', weight: 1, share: null }] },
    ]);
    expect(targetGroups({ ...VIEW, strategy: 'cost' })[0].targets[0].share).toBeNull();
  });

  it('says how many retries on which failures', () => {
    expect(describeRetries(VIEW)).toBe('1 retry per group on 5xx, 429');
    expect(describeRetries({ ...VIEW, retries: 0, retry_on: [] })).toBe(
      '0 retries per group on no failure (none retried)',
    );
  });
});

describe('alias refusals', () => {
  it("rewords the API's routing refusals and keeps other messages", () => {
    const error = new ApiError('invalid', 'x', 400, [
      "routing.targets: 'fast' is an alias; targets are models",
      "routing.targets: model 'gone' does not exist",
      'routing.targets.1.weight must not be less than 0.001',
      'strategy must be one of weighted, cost (least_busy and latency are not built yet)',
    ]);
    expect((aliasErrorText(error) as ApiError).message).toBe(
      'fast is an alias; targets must be models. There is no model named gone (it may have been renamed or deleted meanwhile). ' +
        'Target 2: the weight must be above 0 and at most 1,000,000. ' +
        'Strategy must be one of weighted, cost (least_busy and latency are not built yet).',
    );
  });

  it('leaves other errors as they are', () => {
    const conflict = new ApiError('conflict', 'The name fast is taken.', 409);
    expect(aliasErrorText(conflict)).toBe(conflict);
  });
});
