import { API_KEY_PREFIX, generateApiKey, hashApiKey } from '#src/modules/keys/api-key-secret';

describe('API key secrets', () => {
  it('hashes a key to the hex SHA-256 that the stored keys were created with', () => {
    // fixed: a different digest would lock every existing key out
    expect(hashApiKey('sk-gw-example')).toBe('d67cf2f10d5dc84044c6b87dffbcef0a540ffd3c5f9c2f8f420594c3a9e03da5');
  });

  it('generates a prefixed key whose stored hash and display prefix match it', () => {
    const key = generateApiKey();
    expect(key.plaintext.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(key.plaintext).toHaveLength(API_KEY_PREFIX.length + 43);
    expect(key.hash).toBe(hashApiKey(key.plaintext));
    expect(key.displayPrefix).toBe(key.plaintext.slice(0, API_KEY_PREFIX.length + 6));
    expect(generateApiKey().plaintext).not.toBe(key.plaintext);
  });
});
