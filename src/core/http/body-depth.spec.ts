import { MAX_BODY_DEPTH, nestedDeeperThan } from '#src/core/http/body-depth';

const objects = (levels: number): unknown => JSON.parse('{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1));
const arrays = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels));
const wideThenDeep = (): unknown => ({ wide: Array.from({ length: 1000 }, (i) => ({ i })), deep: objects(65) });

describe('nestedDeeperThan', () => {
  it.each([
    ['a scalar', false, 1],
    ['a flat object', false, { a: 1, b: 'x' }],
    ['64 nested objects', false, objects(64)],
    ['65 nested objects', true, objects(65)],
    ['64 nested arrays', false, arrays(64)],
    ['65 nested arrays', true, arrays(65)],
    ['a deep branch after wide shallow ones', true, wideThenDeep()],
    ['200,000 nested arrays', true, arrays(200_000)],
  ])('%s: deeper than the limit = %s', (_name, expected, value) => {
    expect(nestedDeeperThan(value, MAX_BODY_DEPTH)).toBe(expected);
  });
});
