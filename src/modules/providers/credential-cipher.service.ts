import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig, type EncryptionKey } from '#src/core/config/app-config';

export type Credentials = Record<string, string>;

/**
 * Provider credentials at rest: AES-256-GCM under ENCRYPTION_KEY. Each ciphertext records the id of the key
 * that made it (`v1:<key id>:<iv>:<tag>:<data>`), so ENCRYPTION_KEY_PREVIOUS still decrypts during a rotation.
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

  encrypt(credentials: Credentials): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
    return [
      'v1',
      this.current.id,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      data.toString('base64'),
    ].join(':');
  }

  decrypt(ciphertext: string): Credentials {
    const [version, keyId, iv, tag, data] = ciphertext.split(':');
    if (version !== 'v1' || !keyId || !iv || !tag || data === undefined)
      throw new Error('unrecognised credential ciphertext');
    const key = this.keys.get(keyId);
    if (!key)
      throw new Error(
        `credentials were encrypted with key ${keyId}, which is neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS`,
      );
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as Credentials;
  }

  /** True when the ciphertext was made with an older key and should be re-encrypted. */
  isStale(ciphertext: string): boolean {
    return ciphertext.split(':')[1] !== this.current.id;
  }
}
