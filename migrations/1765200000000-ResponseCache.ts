import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Response cache (SPEC §14): the `cache` setting of aliases, models and keys, and in usage the calls answered
 * from the cache with the cost they saved (per row and in the daily rollup, so reports survive retention).
 */
export class ResponseCache1765200000000 implements MigrationInterface {
  name = 'ResponseCache1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "model_aliases" ADD "cache" jsonb`);
    await queryRunner.query(`ALTER TABLE "models" ADD "cache" jsonb`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "cache" jsonb`);
    await queryRunner.query(`ALTER TABLE "usage_records" ADD "cache_hit" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE "usage_records" ADD "saved_usd" numeric NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE "usage_daily" ADD "cache_hits" bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE "usage_daily" ADD "saved_usd" numeric NOT NULL DEFAULT 0`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "usage_daily" DROP COLUMN "saved_usd"`);
    await queryRunner.query(`ALTER TABLE "usage_daily" DROP COLUMN "cache_hits"`);
    await queryRunner.query(`ALTER TABLE "usage_records" DROP COLUMN "saved_usd"`);
    await queryRunner.query(`ALTER TABLE "usage_records" DROP COLUMN "cache_hit"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "cache"`);
    await queryRunner.query(`ALTER TABLE "models" DROP COLUMN "cache"`);
    await queryRunner.query(`ALTER TABLE "model_aliases" DROP COLUMN "cache"`);
  }
}
