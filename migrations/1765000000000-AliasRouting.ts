import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Routing (SPEC §11): an alias may route over several models (`routing`, then `model_id` may be null), and a
 * usage row records how many attempts its call took.
 */
export class AliasRouting1765000000000 implements MigrationInterface {
  name = 'AliasRouting1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "model_aliases" ADD "routing" jsonb`);
    await queryRunner.query(`ALTER TABLE "model_aliases" ALTER COLUMN "model_id" DROP NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_target_ck" CHECK ("model_id" IS NOT NULL OR "routing" IS NOT NULL)`,
    );
    await queryRunner.query(`ALTER TABLE "usage_records" ADD "attempts" smallint NOT NULL DEFAULT 1`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "usage_records" DROP COLUMN "attempts"`);
    await queryRunner.query(`ALTER TABLE "model_aliases" DROP CONSTRAINT "model_aliases_target_ck"`);
    await queryRunner.query(`DELETE FROM "model_aliases" WHERE "model_id" IS NULL`);
    await queryRunner.query(`ALTER TABLE "model_aliases" ALTER COLUMN "model_id" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "model_aliases" DROP COLUMN "routing"`);
  }
}
