import { Module } from '@nestjs/common';
import { AdmissionService } from '#src/modules/calls/admission';
import { PassThroughAdmissionService } from '#src/modules/calls/pass-through-admission.service';

/** Admission of proxied calls against rate limits, token limits and budgets. */
@Module({
  providers: [{ provide: AdmissionService, useClass: PassThroughAdmissionService }],
  exports: [AdmissionService],
})
export class LimitsModule {}
