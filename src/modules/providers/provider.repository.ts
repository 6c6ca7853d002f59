import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Not, IsNull, Repository } from 'typeorm';
import { newId } from '#src/core/database/ids';
import { ProviderEntity, type ProviderType } from '#src/modules/providers/provider.entity';

export interface ProviderCreate {
  /** Chosen by the caller when the credentials are bound to it before the insert. */
  id?: string;
  name: string;
  type: ProviderType;
  baseUrl?: string | null;
  credentialsCiphertext?: string | null;
  credentialsFields?: string[];
  config?: Record<string, unknown>;
  enabled?: boolean;
}

@Injectable()
export class ProviderRepository {
  constructor(@InjectRepository(ProviderEntity) private readonly repo: Repository<ProviderEntity>) {}

  private r(manager?: EntityManager): Repository<ProviderEntity> {
    return manager ? manager.getRepository(ProviderEntity) : this.repo;
  }

  findAllEnabled(): Promise<ProviderEntity[]> {
    return this.repo.findBy({ enabled: true });
  }

  findAllWithCredentials(): Promise<ProviderEntity[]> {
    return this.repo.findBy({ credentialsCiphertext: Not(IsNull()) });
  }

  /** Replaces a provider's ciphertext only if it still is `expected`; whether it did. */
  async replaceCiphertext(id: string, expected: string, next: string): Promise<boolean> {
    const result = await this.repo.update({ id, credentialsCiphertext: expected }, { credentialsCiphertext: next });
    return (result.affected ?? 0) > 0;
  }

  findById(id: string, manager?: EntityManager): Promise<ProviderEntity | null> {
    return this.r(manager).findOneBy({ id });
  }

  findByName(name: string, manager?: EntityManager): Promise<ProviderEntity | null> {
    return this.r(manager).findOneBy({ name });
  }

  list(limit: number, offset: number): Promise<[ProviderEntity[], number]> {
    return this.repo.findAndCount({ order: { createdAt: 'ASC' }, take: limit, skip: offset });
  }

  create(input: ProviderCreate, manager?: EntityManager): Promise<ProviderEntity> {
    const r = this.r(manager);
    return r.save(
      r.create({
        id: input.id ?? newId(),
        name: input.name,
        type: input.type,
        baseUrl: input.baseUrl ?? null,
        credentialsCiphertext: input.credentialsCiphertext ?? null,
        credentialsFields: input.credentialsFields ?? [],
        config: input.config ?? {},
        enabled: input.enabled ?? true,
      }),
    );
  }

  /** Names of models routed to this provider (models.provider_id references it), to explain a refused delete. */
  async namesOfModelsUsing(providerId: string, limit: number, manager?: EntityManager): Promise<string[]> {
    const rows: { name: string }[] = await this.r(manager).query(
      'SELECT name FROM models WHERE provider_id = $1 ORDER BY name LIMIT $2',
      [providerId, limit],
    );
    return rows.map((r) => r.name);
  }

  save(provider: ProviderEntity, manager?: EntityManager): Promise<ProviderEntity> {
    return this.r(manager).save(provider);
  }

  async delete(id: string, manager?: EntityManager): Promise<void> {
    await this.r(manager).delete({ id });
  }
}
