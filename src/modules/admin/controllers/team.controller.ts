import { Body, Delete, Get, Patch, Post, Query } from '@nestjs/common';
import { AdminController, AdminEndpoint, IdParam } from '#src/modules/admin/admin-endpoint.decorator';
import {
  TeamCreateDto,
  TeamListDto,
  TeamListQueryDto,
  TeamResponseDto,
  TeamUpdateDto,
} from '#src/modules/admin/dto/team.dto';
import { UsageRangeQueryDto, UsageReportDto } from '#src/modules/admin/dto/usage.dto';
import { BillingException } from '#src/modules/billing/billing.exception';
import { UsageReportRepository } from '#src/modules/billing/usage-report.repository';
import { TeamManagementService, TeamsException } from '#src/modules/keys/team-management.service';
import { TeamRepository } from '#src/modules/teams/team.repository';

/**
 * Teams (SPEC §13): limits, a budget per period and an allowlist shared by the team's keys, on top of their own.
 * Every change drops the proxy's key cache on every pod, so disabling a team stops its keys at once.
 */
@AdminController('teams', 'team')
export class TeamController {
  constructor(
    private readonly teams: TeamRepository,
    private readonly management: TeamManagementService,
    private readonly usage: UsageReportRepository,
  ) {}

  @Post()
  @AdminEndpoint({
    summary: 'Create a team',
    role: 'editor',
    status: 201,
    response: TeamResponseDto,
    audit: 'create',
    errors: [409],
  })
  async createTeam(@Body() body: TeamCreateDto): Promise<TeamResponseDto> {
    return TeamResponseDto.from(await this.management.create(body.toInput()));
  }

  @Get()
  @AdminEndpoint({ summary: 'List teams (filter: name)', role: 'viewer', response: TeamListDto })
  async listTeams(@Query() query: TeamListQueryDto): Promise<TeamListDto> {
    const [rows, total] = await this.teams.list({ name: query.name }, query.limit, query.offset);
    return { data: rows.map((t) => TeamResponseDto.from(t)), total };
  }

  @Get(':id')
  @AdminEndpoint({ summary: 'Get a team', role: 'viewer', response: TeamResponseDto, errors: [404] })
  async getTeam(@IdParam() id: string): Promise<TeamResponseDto> {
    const team = await this.teams.findById(id);
    if (!team) throw TeamsException.notFound(id);
    return TeamResponseDto.from(team);
  }

  @Patch(':id')
  @AdminEndpoint({
    summary: 'Change a team (limits, budget and period, models, alerts, enabled, ...)',
    role: 'editor',
    response: TeamResponseDto,
    audit: 'update',
    errors: [404, 409],
  })
  async updateTeam(@IdParam() id: string, @Body() body: TeamUpdateDto): Promise<TeamResponseDto> {
    return TeamResponseDto.from(await this.management.update(id, body.toPatch()));
  }

  @Delete(':id')
  @AdminEndpoint({
    summary: 'Delete a team (refused while it has API keys)',
    role: 'editor',
    status: 204,
    audit: 'delete',
    errors: [404, 409],
  })
  async deleteTeam(@IdParam() id: string): Promise<void> {
    await this.management.delete(id);
  }

  @Get(':id/usage')
  @AdminEndpoint({
    summary: "The team's usage over [from, to) (its keys' calls), optionally grouped (e.g. api_key, end_user, day)",
    role: 'viewer',
    response: UsageReportDto,
    errors: [404],
  })
  async getTeamUsage(@IdParam() id: string, @Query() query: UsageRangeQueryDto): Promise<UsageReportDto> {
    if (!(await this.teams.findById(id))) throw TeamsException.notFound(id);
    const range = query.range();
    if (typeof range === 'string') throw BillingException.invalid(range);
    return this.usage.report({ ...range, teamId: id }, query.groups());
  }
}
