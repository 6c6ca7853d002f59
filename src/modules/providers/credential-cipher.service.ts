import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig, type EncryptionKey } from '#src/core/config/app-config';

export type Credentials = Record<string, string>;

/** GCM's full tag: a shorter one (which GCM would otherwise accept) makes forging easier, so it is refused. */
const TAG_BYTES = 16;
const IV_BYTES = 12;

/** Binds a ciphertext to its provider: moved to another provider's row, it no longer decrypts. */
const associatedData = (providerId: string): Buffer => Buffer.from(`llmgw:provider:${providerId}`, 'utf8');

/**
 * Provider credentials at rest: AES-256-GCM under ENCRYPTION_KEY, with a pinned 16-byte tag and the provider's
 * id as associated data. Each ciphertext records its format and the id of the key that made it
 * (`v2:<key id>:<iv>:<tag>:<data>`), so ENCRYPTION_KEY_PREVIOUS still decrypts during a rotation. The older
 * `v1` format (no associated data) is still read; CredentialUpgradeService rewrites such rows at start-up.
 */
@Injectable()
export class CredentialCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly current: EncryptionKey;

  constructor(config: AppConfig) {
    this.current = config.encryptionKey;
    this.keys = new Map([[config.encryptionKey.id, config.encryptionKey.key]]);
    if (config.previousEncryptionKey) this.keys.set(config.previousEncryptionKey.id, config.previousEncryptionKey.key);
  }

  encrypt(credentials: Credentials, providerId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(providerId));
    const data = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
    return [
      'v2',
      this.current.id,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      data.toString('base64'),
    ].join(':');
  }

  decrypt(ciphertext: string, providerId: string): Credentials {
    const [version, keyId, iv, tag, data] = ciphertext.split(':');
    if ((version !== 'v1' && version !== 'v2') || !keyId || !iv || !tag || data === undefined)
      throw new Error('unrecognised credential ciphertext');
    const key = this.keys.get(keyId);
    if (!key)
      throw new Error(
        `credentials were encrypted with key ${keyId}, which is neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS`,
      );
    const tagBytes = Buffer.from(tag, 'base64');
    if (tagBytes.length !== TAG_BYTES) throw new Error(`credential ciphertext has a ${tagBytes.length}-byte tag`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'), { authTagLength: TAG_BYTES });
    if (version === 'v2') decipher.setAAD(associatedData(providerId));
    decipher.setAuthTag(tagBytes);
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as Credentials;
  }

  /** True when the ciphertext is in the old format or under an older key, and should be re-encrypted. */
  needsUpgrade(ciphertext: string): boolean {
    const [version, keyId] = ciphertext.split(':');
    return version !== 'v2' || keyId !== this.current.id;
  }
}
