import { Injectable } from '@nestjs/common';
import { type Admission, AdmissionService, type KeySpendView } from '#src/modules/calls/admission';

const ADMITTED: Admission = {
  outputLimit: null,
  loweredOutputLimit: null,
  headers: {},
  settle: () => Promise.resolve(),
  refresh: () => Promise.resolve(),
};

/** Admits every call without metering: for processes that build the proxy without the limits module. */
@Injectable()
export class PassThroughAdmissionService extends AdmissionService {
  admit(): Promise<Admission> {
    return Promise.resolve(ADMITTED);
  }

  spendOf(): Promise<KeySpendView | null> {
    return Promise.resolve(null);
  }
}
