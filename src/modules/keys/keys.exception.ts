import { AppException } from '#src/core/errors/app.exception';

export enum KeysErrorCode {
  InvalidApiKey = 'invalid_api_key',
}

/** Missing, unknown, disabled, revoked or expired key: one 401 for all, so a caller learns nothing about which. */
export class InvalidApiKeyException extends AppException {
  constructor(message = 'Incorrect or missing API key. Send it as "Authorization: Bearer <key>" or "x-api-key".') {
    super(KeysErrorCode.InvalidApiKey, 401, message, { type: 'invalid_request_error' });
  }
}
