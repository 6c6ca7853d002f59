import { randomBytes } from 'node:crypto';
import { estimateEntropyBits, JWT_SECRET_MIN_ENTROPY_BYTES } from '#src/core/config/secret-entropy';

const enough = (s: string): boolean => estimateEntropyBits(s) >= JWT_SECRET_MIN_ENTROPY_BYTES * 8;

describe('estimateEntropyBits', () => {
  it.each([
    ['32 random bytes as hex', randomBytes(32).toString('hex'), true],
    ['32 random bytes as base64', randomBytes(32).toString('base64'), true],
    ['32 random bytes as base64url', randomBytes(32).toString('base64url'), true],
    ['48 random bytes as base64url (the development secret)', randomBytes(48).toString('base64url'), true],
    ['16 random bytes as hex', randomBytes(16).toString('hex'), false],
    ['a short phrase', 'change-me-please', false],
    ['a 28-character canary', 'canary-jwt-secret-4f9a1c7e2b', false],
    ['one repeated character', 'a'.repeat(200), false],
    ['two alternating characters', 'ab'.repeat(60), false],
    ['a repeated pattern', 'Xy7#kP2q'.repeat(12), false],
    ['a 43-character base64url key without digits, - or _', 'qWeRtYuIoPaSdFgHjKlZxCvBnMmNbVcXzLkJhGfDsAq', true],
    ['a letters-only phrase of 44 characters', 'CorrectHorseBatteryStapleCorrectHorseBattery', false],
    // a real random key drawn in CI: only 20 distinct symbols (about once in 1.5 million keys)
    ['a random base64url key using only 20 symbols', 'AJlJGzRJtKGk0zuzlo0Kz1iJcgzzl14zA7colX7tY7g', true],
    ['a 43-character base64 string over 15 symbols', 'CeCdaBcbFcaBcDCAHfbABFACgFGAHHBFECfFcFDcGHe', false],
    ['empty', '', false],
  ])('%s holds 32 bytes: %s', (_name, secret, expected) => {
    expect(enough(secret)).toBe(expected);
  });

  it('accepts every one of 20,000 random 32-byte keys in hex, base64 and base64url', () => {
    // a base64url key without a digit, `-` or `_` comes about once in 10,000: it must pass too
    for (let i = 0; i < 20_000; i++) {
      const key = randomBytes(32);
      for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(enough(key.toString(encoding))).toBe(true);
    }
  });
});
