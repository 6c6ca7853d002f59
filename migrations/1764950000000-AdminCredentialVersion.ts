import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An admin user's credential version: carried in their JWTs (`cv`) and raised when the password changes or
 * the user is disabled, so JWTs issued before stop working.
 */
export class AdminCredentialVersion1764950000000 implements MigrationInterface {
  name = 'AdminCredentialVersion1764950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "admin_users" ADD "credential_version" integer NOT NULL DEFAULT 1`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "admin_users" DROP COLUMN "credential_version"`);
  }
}
