import { Get, Query } from '@nestjs/common';
import { AdminController, AdminEndpoint } from '#src/modules/admin/admin-endpoint.decorator';
import { OVERVIEW_MAX_DAYS, UsageOverviewDto, UsageOverviewQueryDto } from '#src/modules/admin/dto/usage-overview.dto';
import { UsageQueryDto, UsageReportDto } from '#src/modules/admin/dto/usage.dto';
import { BillingException } from '#src/modules/billing/billing.exception';
import { UsageOverviewRepository } from '#src/modules/billing/usage-overview.repository';
import { UsageReportRepository } from '#src/modules/billing/usage-report.repository';

const DAY_MS = 86_400_000;

/** Usage reports over every key (SPEC §4); viewers may read them. */
@AdminController('usage', 'usage')
export class UsageController {
  constructor(
    private readonly reports: UsageReportRepository,
    private readonly overviews: UsageOverviewRepository,
  ) {}

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
    return this.reports.report(
      { ...range, apiKeyId: query.api_key_id, teamId: query.team_id, model: query.model },
      query.groups(),
    );
  }

  @Get('overview')
  @AdminEndpoint({
    summary:
      'Overview for the console: calls, errors, cost and p50/p95 latency per hour or day over [from, to) (default: the last 24 hours), top keys, models and teams; of every call or of one key',
    role: 'viewer',
    response: UsageOverviewDto,
  })
  async getOverview(@Query() query: UsageOverviewQueryDto): Promise<UsageOverviewDto> {
    const range = query.range();
    if (typeof range === 'string') throw BillingException.invalid(range);
    const to = range.to ?? new Date();
    const from = range.from ?? new Date(to.getTime() - DAY_MS);
    if (from.getTime() >= to.getTime()) throw BillingException.invalid('from must be before to');
    if (to.getTime() - from.getTime() > OVERVIEW_MAX_DAYS * DAY_MS)
      throw BillingException.invalid(`the overview covers at most ${OVERVIEW_MAX_DAYS} days`);
    const bucket = query.bucket ?? (to.getTime() - from.getTime() <= 2 * DAY_MS ? 'hour' : 'day');
    return this.overviews.overview(from, to, bucket, { apiKeyId: query.api_key_id });
  }
}
