import { AppException } from '#src/core/errors/app.exception';

/** The failures every managed resource shares; modules subclass this with their resource name. */
export enum ResourceErrorCode {
  NotFound = 'not_found',
  Conflict = 'conflict',
  InUse = 'in_use',
  Invalid = 'invalid',
}

const STATUS: Record<ResourceErrorCode, number> = {
  [ResourceErrorCode.NotFound]: 404,
  [ResourceErrorCode.Conflict]: 409,
  [ResourceErrorCode.InUse]: 409,
  [ResourceErrorCode.Invalid]: 400,
};

export class ResourceException extends AppException {
  constructor(code: ResourceErrorCode, message: string) {
    super(code, STATUS[code], message);
  }
}
