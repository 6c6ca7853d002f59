import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import type { AlertType } from '#src/modules/alerts/alert-event';
import { WebhookEntity } from '#src/modules/alerts/webhook.entity';

@Injectable()
export class WebhookRepository {
  constructor(@InjectRepository(WebhookEntity) private readonly repo: Repository<WebhookEntity>) {}

  private r(manager?: EntityManager): Repository<WebhookEntity> {
    return manager ? manager.getRepository(WebhookEntity) : this.repo;
  }

  list(limit: number, offset: number): Promise<[WebhookEntity[], number]> {
    return this.repo.findAndCount({ order: { createdAt: 'ASC', id: 'ASC' }, take: limit, skip: offset });
  }

  findById(id: string, manager?: EntityManager): Promise<WebhookEntity | null> {
    return this.r(manager).findOneBy({ id });
  }

  /** The enabled webhooks subscribed to `type`: the receivers of one event. */
  findSubscribed(type: AlertType): Promise<WebhookEntity[]> {
    return this.repo
      .createQueryBuilder('w')
      .where('w.enabled = true AND w.events @> ARRAY[:type]::text[]', { type })
      .orderBy('w.id')
      .getMany();
  }

  /** Webhooks with a stored secret, for the re-encryption after a key rotation. */
  findAllWithSecret(): Promise<WebhookEntity[]> {
    return this.repo.createQueryBuilder('w').where('w.secret_ciphertext IS NOT NULL').getMany();
  }

  /** Swaps the ciphertext only if the row still holds `old` (a concurrent admin change wins). */
  async replaceSecretCiphertext(id: string, old: string, next: string): Promise<boolean> {
    const result = await this.repo.update({ id, secretCiphertext: old }, { secretCiphertext: next });
    return (result.affected ?? 0) > 0;
  }

  save(webhook: WebhookEntity, manager?: EntityManager): Promise<WebhookEntity> {
    return this.r(manager).save(webhook);
  }

  /** True when a row was deleted (its deliveries go with it). */
  async delete(id: string): Promise<boolean> {
    const result = await this.repo.delete({ id });
    return (result.affected ?? 0) > 0;
  }
}
