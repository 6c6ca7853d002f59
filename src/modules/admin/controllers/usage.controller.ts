import { Get, Query } from '@nestjs/common';
import { AdminController, AdminEndpoint } from '#src/modules/admin/admin-endpoint.decorator';
import { UsageQueryDto, UsageReportDto } from '#src/modules/admin/dto/usage.dto';
import { BillingException } from '#src/modules/billing/billing.exception';
import { UsageReportRepository } from '#src/modules/billing/usage-report.repository';

/** Usage reports over every key (SPEC §4); viewers may read them. */
@AdminController('usage', 'usage')
export class UsageController {
  constructor(private readonly reports: UsageReportRepository) {}

  @Get()
  @AdminEndpoint({
    summary:
      'Usage report: requests, tokens by type and cost over [from, to), grouped by api_key, model, provider, day',
    role: 'viewer',
    response: UsageReportDto,
  })
  async getUsage(@Query() query: UsageQueryDto): Promise<UsageReportDto> {
    const range = query.range();
    if (typeof range === 'string') throw BillingException.invalid(range);
    return this.reports.report({ ...range, apiKeyId: query.api_key_id, model: query.model }, query.groups());
  }
}
