import { ResourceErrorCode, ResourceException } from '#src/core/errors/resource.exception';

export class BillingException extends ResourceException {
  static invalid(message: string): BillingException {
    return new BillingException(ResourceErrorCode.Invalid, message);
  }
}
