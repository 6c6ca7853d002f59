import { Injectable } from '@nestjs/common';
import { CredentialCipher } from '#src/modules/providers/credential-cipher.service';

/**
 * Webhook signing secrets at rest: the providers' AES-256-GCM cipher (ENCRYPTION_KEY, ENCRYPTION_KEY_PREVIOUS during a
 * rotation), bound to the webhook's id so a ciphertext copied to another row (or a provider's) does not decrypt.
 */
@Injectable()
export class WebhookSecrets {
  constructor(private readonly cipher: CredentialCipher) {}

  encrypt(webhookId: string, secret: string): string {
    return this.cipher.encrypt({ secret }, binding(webhookId));
  }

  decrypt(webhookId: string, ciphertext: string): string {
    return this.cipher.decrypt(ciphertext, binding(webhookId)).secret;
  }

  needsUpgrade(ciphertext: string): boolean {
    return this.cipher.needsUpgrade(ciphertext);
  }
}

const binding = (webhookId: string): string => `webhook:${webhookId}`;
