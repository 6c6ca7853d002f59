import { AppException } from '#src/core/errors/app.exception';
import { ResourceErrorCode, ResourceException } from '#src/core/errors/resource.exception';

export class ProvidersException extends ResourceException {
  static notFound(id: string): ProvidersException {
    return new ProvidersException(ResourceErrorCode.NotFound, `Provider ${id} not found`);
  }

  static nameTaken(name: string): ProvidersException {
    return new ProvidersException(ResourceErrorCode.Conflict, `A provider named '${name}' already exists`);
  }

  static inUse(name: string, models: string[]): ProvidersException {
    return new ProvidersException(
      ResourceErrorCode.InUse,
      `Provider '${name}' is still used by models: ${models.join(', ')}`,
    );
  }

  static invalid(message: string): ProvidersException {
    return new ProvidersException(ResourceErrorCode.Invalid, message);
  }
}

export enum ProviderConfigErrorCode {
  /** base_url or type changed without new credentials: the stored secret would go to the new endpoint. */
  CredentialsRequired = 'credentials_required',
  /** A custom base_url with a type that would fall back to the pod's ambient cloud credentials. */
  AmbientCredentialsRefused = 'ambient_credentials_refused',
  /** base_url names a host the address policy refuses (link-local, metadata, or private in production). */
  AddressRefused = 'base_url_refused',
}

/** A provider write that would send a secret or the pod's identity where it must not go: 400, code in the body. */
export class ProviderConfigException extends AppException {
  constructor(code: ProviderConfigErrorCode, message: string) {
    super(code, 400, message, { adminCode: true });
  }

  static credentialsRequired(changed: string[]): ProviderConfigException {
    return new ProviderConfigException(
      ProviderConfigErrorCode.CredentialsRequired,
      `Changing ${changed.join(' and ')} needs new credentials in the same request (null for none): ` +
        'the stored ones are never sent to a new endpoint',
    );
  }

  static ambientCredentials(type: string, field: string): ProviderConfigException {
    return new ProviderConfigException(
      ProviderConfigErrorCode.AmbientCredentialsRefused,
      `A ${type} provider with a custom base_url needs stored credentials (${field}): ` +
        "the gateway's own cloud credentials are never sent to a custom endpoint",
    );
  }

  static addressRefused(reason: string): ProviderConfigException {
    return new ProviderConfigException(ProviderConfigErrorCode.AddressRefused, `base_url refused: ${reason}`);
  }
}
