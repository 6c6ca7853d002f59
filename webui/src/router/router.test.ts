import { describe, expect, it } from 'vitest';
import { matchPath, splitLocation } from './router';

describe('router', () => {
  it('strips the /ui base and a trailing slash', () => {
    expect(splitLocation('/ui/').path).toBe('/');
    expect(splitLocation('/ui').path).toBe('/');
    expect(splitLocation('/ui/keys/').path).toBe('/keys');
    expect(splitLocation('/ui/usage?from=2026-01-01').search.get('from')).toBe('2026-01-01');
  });

  it('matches patterns with parameters', () => {
    expect(matchPath('/keys/:id', '/keys/abc')).toEqual({ id: 'abc' });
    expect(matchPath('/keys/:id', '/keys')).toBeNull();
    expect(matchPath('/', '/')).toEqual({});
    expect(matchPath('/keys', '/models')).toBeNull();
  });
});
