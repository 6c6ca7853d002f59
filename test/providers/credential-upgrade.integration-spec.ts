import { createCipheriv, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CredentialCipher } from '#src/modules/providers/credential-cipher.service';
import { CredentialUpgradeService } from '#src/modules/providers/credential-upgrade.service';
import { ProviderRegistry } from '#src/modules/providers/provider-registry.service';
import { CANARY_PROVIDER_KEY, createProvider } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { resetState } from '#test/utils/reset';

/** What rows written before provider binding hold: `v1`, no associated data. */
function legacyV1(api: TestApp, credentials: Record<string, string>): string {
  const { id, key } = api.config.encryptionKey;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
  return ['v1', id, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
}

async function ciphertextOf(db: DataSource, id: string): Promise<string> {
  const rows = await db.query<{ c: string }[]>('SELECT credentials_ciphertext AS c FROM providers WHERE id = $1', [id]);
  return rows[0].c;
}

describe('provider credentials bound to their provider, old rows re-encrypted at start-up', () => {
  let api: TestApp;

  beforeEach(() => resetState());
  afterEach(() => api?.close());

  it('re-encrypts v1 rows to v2 when a process starts, and the provider keeps working', async () => {
    api = await startApi();
    const db = api.get(DataSource);
    const { id } = await createProvider(api, { baseUrl: 'http://127.0.0.1:9/v1' });
    await db.query('UPDATE providers SET credentials_ciphertext = $2 WHERE id = $1', [
      id,
      legacyV1(api, { api_key: CANARY_PROVIDER_KEY }),
    ]);
    await api.close();

    api = await startApi();
    const upgraded = await ciphertextOf(api.get(DataSource), id);
    expect(upgraded.startsWith('v2:')).toBe(true);
    expect(api.get(CredentialCipher).decrypt(upgraded, id)).toEqual({ api_key: CANARY_PROVIDER_KEY });
    expect(await api.get(ProviderRegistry).get(id)).toBeDefined();
    // nothing left to do on the next start
    expect(await api.get(CredentialUpgradeService).run()).toBe(0);
  });

  it("does not load a provider whose row holds another provider's ciphertext", async () => {
    api = await startApi();
    const db = api.get(DataSource);
    const a = await createProvider(api, { baseUrl: 'http://127.0.0.1:9/v1' });
    const b = await createProvider(api, { baseUrl: 'http://127.0.0.1:9/v1' });
    await db.query('UPDATE providers SET credentials_ciphertext = $2 WHERE id = $1', [
      b.id,
      await ciphertextOf(db, a.id),
    ]);
    await api.get(ProviderRegistry).reload();
    expect(await api.get(ProviderRegistry).get(a.id)).toBeDefined();
    expect(await api.get(ProviderRegistry).get(b.id)).toBeUndefined();
    expect(api.logs.text()).toContain('provider could not be loaded');
  });
});
