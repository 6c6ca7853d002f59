import { ResourceErrorCode, ResourceException } from '#src/core/errors/resource.exception';

export class ModelsException extends ResourceException {
  static modelNotFound(id: string): ModelsException {
    return new ModelsException(ResourceErrorCode.NotFound, `Model ${id} not found`);
  }

  static aliasNotFound(id: string): ModelsException {
    return new ModelsException(ResourceErrorCode.NotFound, `Alias ${id} not found`);
  }

  static nameTaken(name: string): ModelsException {
    return new ModelsException(ResourceErrorCode.Conflict, `The name '${name}' is already used by a model or an alias`);
  }

  static modelInUse(name: string, aliases: string[]): ModelsException {
    return new ModelsException(
      ResourceErrorCode.InUse,
      `Model '${name}' is still used by aliases: ${aliases.join(', ')}`,
    );
  }

  static invalid(message: string): ModelsException {
    return new ModelsException(ResourceErrorCode.Invalid, message);
  }
}
