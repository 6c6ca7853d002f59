import { AppException } from '#src/core/errors/app.exception';

export enum AuditErrorCode {
  /** Another worker took the batch over (this one's lease ran out): it stores and acknowledges it. */
  LeaseLost = 'audit_lease_lost',
  /** The records read differ from the count recorded when the batch was taken: storing them could lose some. */
  CountMismatch = 'audit_count_mismatch',
}

/** Why a flush did not store a batch it had taken; the batch stays in Redis for its holder or a retry. */
export class AuditException extends AppException {
  declare readonly code: AuditErrorCode;

  constructor(
    code: AuditErrorCode,
    message: string,
    readonly batchId: string,
  ) {
    super(code, 500, message);
  }

  static leaseLost(batchId: string): AuditException {
    return new AuditException(AuditErrorCode.LeaseLost, 'audit batch lease taken over by another worker', batchId);
  }

  static countMismatch(batchId: string, expected: number, read: number): AuditException {
    return new AuditException(
      AuditErrorCode.CountMismatch,
      `audit batch holds ${read} records, ${expected} were taken`,
      batchId,
    );
  }
}
