import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin users signed in through an OpenID Connect provider (SPEC §16): the (issuer, subject) pair that
 * identifies them there, unique where set. Such users are created without a password, so the password hash
 * becomes optional (password login treats a missing hash as a wrong password).
 */
export class AdminUserOidc1765300000000 implements MigrationInterface {
  name = 'AdminUserOidc1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "admin_users" ADD "oidc_issuer" varchar(2048)`);
    await queryRunner.query(`ALTER TABLE "admin_users" ADD "oidc_subject" varchar(255)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "admin_users_oidc_uq" ON "admin_users" ("oidc_issuer", "oidc_subject") WHERE "oidc_subject" IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "admin_users" ALTER COLUMN "password_hash" DROP NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // users created by SSO have no password: they cannot survive the NOT NULL, so they go
    await queryRunner.query(`DELETE FROM "admin_users" WHERE "password_hash" IS NULL`);
    await queryRunner.query(`ALTER TABLE "admin_users" ALTER COLUMN "password_hash" SET NOT NULL`);
    await queryRunner.query(`DROP INDEX "admin_users_oidc_uq"`);
    await queryRunner.query(`ALTER TABLE "admin_users" DROP COLUMN "oidc_subject"`);
    await queryRunner.query(`ALTER TABLE "admin_users" DROP COLUMN "oidc_issuer"`);
  }
}
