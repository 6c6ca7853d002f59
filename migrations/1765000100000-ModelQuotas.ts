import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Provider quotas (SPEC §11): a model's requests and tokens per minute on its provider account. */
export class ModelQuotas1765000100000 implements MigrationInterface {
  name = 'ModelQuotas1765000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "models" ADD "rpm_limit" integer`);
    await queryRunner.query(`ALTER TABLE "models" ADD "tpm_limit" integer`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "models" DROP COLUMN "tpm_limit"`);
    await queryRunner.query(`ALTER TABLE "models" DROP COLUMN "rpm_limit"`);
  }
}
