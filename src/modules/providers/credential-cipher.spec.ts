import { createCipheriv, randomBytes } from 'node:crypto';
import type { AppConfig } from '#src/core/config/app-config';
import { CredentialCipher } from '#src/modules/providers/credential-cipher.service';

const KEY = { id: 'k1', key: Buffer.alloc(32, 9) };
const OLD = { id: 'k0', key: Buffer.alloc(32, 4) };
const A = '01900000-0000-7000-8000-00000000000a';
const B = '01900000-0000-7000-8000-00000000000b';
const CREDS = { api_key: 'canary-cipher-key-3c1d' };

const config = (previous?: typeof OLD): AppConfig =>
  ({ encryptionKey: KEY, previousEncryptionKey: previous }) as unknown as AppConfig;

/** The format written before provider binding: no associated data. */
function legacyV1(key: typeof KEY, tagBytes = 16): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(CREDS), 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag().subarray(0, tagBytes);
  return ['v1', key.id, iv.toString('base64'), tag.toString('base64'), data.toString('base64')].join(':');
}

const withTag = (ciphertext: string, bytes: number): string => {
  const parts = ciphertext.split(':');
  parts[3] = Buffer.from(parts[3], 'base64').subarray(0, bytes).toString('base64');
  return parts.join(':');
};

describe('CredentialCipher', () => {
  const sut = new CredentialCipher(config(OLD));

  it('round-trips credentials for their provider in the v2 format with a 16-byte tag', () => {
    const ct = sut.encrypt(CREDS, A);
    expect(ct.split(':')[0]).toBe('v2');
    expect(Buffer.from(ct.split(':')[3], 'base64')).toHaveLength(16);
    expect(ct).not.toContain('canary-cipher-key');
    expect(sut.decrypt(ct, A)).toEqual(CREDS);
    expect(sut.needsUpgrade(ct)).toBe(false);
  });

  it("refuses one provider's ciphertext copied to another provider", () => {
    expect(() => sut.decrypt(sut.encrypt(CREDS, A), B)).toThrow();
  });

  it.each([4, 8, 12, 15])('refuses a ciphertext whose tag was cut to %i bytes', (bytes) => {
    expect(() => sut.decrypt(withTag(sut.encrypt(CREDS, A), bytes), A)).toThrow();
    expect(() => sut.decrypt(legacyV1(KEY, bytes), A)).toThrow();
  });

  it('still reads v1 ciphertexts (current or previous key) and marks them, and old-key ones, for upgrade', () => {
    expect(sut.decrypt(legacyV1(KEY), A)).toEqual(CREDS);
    expect(sut.decrypt(legacyV1(OLD), B)).toEqual(CREDS);
    expect(sut.needsUpgrade(legacyV1(KEY))).toBe(true);
    const underOld = new CredentialCipher({ encryptionKey: OLD } as unknown as AppConfig).encrypt(CREDS, A);
    expect(sut.decrypt(underOld, A)).toEqual(CREDS);
    expect(sut.needsUpgrade(underOld)).toBe(true);
  });
});
