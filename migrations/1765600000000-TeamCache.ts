import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The response cache's `cache` setting on teams (SPEC §14): between a key's and an alias's in precedence. */
export class TeamCache1765600000000 implements MigrationInterface {
  name = 'TeamCache1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" ADD "cache" jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" DROP COLUMN "cache"`);
  }
}
