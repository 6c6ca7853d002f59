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
