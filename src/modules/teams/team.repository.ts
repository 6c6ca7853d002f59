import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import type { PeriodKind } from '#src/modules/billing/budget-period';
import { TeamEntity } from '#src/modules/teams/team.entity';

@Injectable()
export class TeamRepository {
  constructor(@InjectRepository(TeamEntity) private readonly repo: Repository<TeamEntity>) {}

  private r(manager?: EntityManager): Repository<TeamEntity> {
    return manager ? manager.getRepository(TeamEntity) : this.repo;
  }

  findById(id: string, manager?: EntityManager): Promise<TeamEntity | null> {
    return this.r(manager).findOneBy({ id });
  }

  findByName(name: string, manager?: EntityManager): Promise<TeamEntity | null> {
    return this.r(manager).findOneBy({ name });
  }

  list(filter: { name?: string }, limit: number, offset: number): Promise<[TeamEntity[], number]> {
    const qb = this.repo.createQueryBuilder('t').orderBy('t.name', 'ASC');
    if (filter.name !== undefined)
      qb.andWhere('t.name ILIKE :name', { name: `%${filter.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    return qb.take(limit).skip(offset).getManyAndCount();
  }

  /** Teams with a budget, for the periodic reconcile. */
  withBudget(): Promise<{ id: string; budgetPeriod: PeriodKind }[]> {
    return this.repo
      .createQueryBuilder('t')
      .select('t.id', 'id')
      .addSelect('t.budget_period', 'budgetPeriod')
      .where('t.budget IS NOT NULL')
      .getRawMany();
  }

  /** Keys (not deleted) that belong to the team. */
  async keyCount(id: string, manager?: EntityManager): Promise<number> {
    const [row] = await this.r(manager).query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM api_keys WHERE team_id = $1 AND deleted_at IS NULL',
      [id],
    );
    return row.n;
  }

  save(team: TeamEntity, manager?: EntityManager): Promise<TeamEntity> {
    return this.r(manager).save(team);
  }

  async remove(id: string, manager?: EntityManager): Promise<void> {
    await this.r(manager).delete({ id });
  }
}
