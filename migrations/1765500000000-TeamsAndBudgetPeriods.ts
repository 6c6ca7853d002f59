import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Teams, budget periods and end users (SPEC §13): the `teams` table and `team_id` on keys; a key's budget
 * becomes `budget` with a `budget_period` (its monthly budget is kept as a `month` budget); the per-key monthly
 * aggregate becomes a per-subject, per-period aggregate (`budget_spend`, existing months copied over); usage
 * rows gain the call's team and end user.
 */
export class TeamsAndBudgetPeriods1765500000000 implements MigrationInterface {
  name = 'TeamsAndBudgetPeriods1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "teams" ("id" uuid NOT NULL, "name" character varying(256) NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "allowed_models" text array NOT NULL DEFAULT '{}', "rate_limit" integer, "tokens_per_minute" integer, "budget" numeric, "budget_period" character varying(8) NOT NULL DEFAULT 'month', "alert_thresholds" jsonb, "tags" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_teams_id" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "teams_name_uq" ON "teams" ("name")`);
    await queryRunner.query(`ALTER TABLE "api_keys" RENAME COLUMN "monthly_budget" TO "budget"`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "budget_period" character varying(8) NOT NULL DEFAULT 'month'`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "alert_thresholds" jsonb`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "team_id" uuid`);
    await queryRunner.query(`CREATE INDEX "api_keys_team_id_idx" ON "api_keys" ("team_id")`);
    await queryRunner.query(
      `ALTER TABLE "api_keys" ADD CONSTRAINT "FK_api_keys_team_id" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `CREATE TABLE "budget_spend" ("subject_type" character varying(8) NOT NULL, "subject_id" uuid NOT NULL, "period" character varying(24) NOT NULL, "cost_usd" numeric NOT NULL DEFAULT '0', "requests" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_budget_spend" PRIMARY KEY ("subject_type", "subject_id", "period"))`,
    );
    // every existing month, and the days and weeks of the current month from the usage rows still kept, so a key
    // switched to a daily or weekly budget starts from what it really spent
    await queryRunner.query(
      `INSERT INTO "budget_spend" ("subject_type", "subject_id", "period", "cost_usd", "requests")
       SELECT 'key', "api_key_id", 'month:' || to_char("month", 'YYYY-MM'), "cost_usd", "requests" FROM "key_monthly_spend"`,
    );
    for (const [kind, trunc, format] of [
      ['day', 'day', 'YYYY-MM-DD'],
      ['week', 'week', 'YYYY-MM-DD'],
    ] as const) {
      await queryRunner.query(
        `INSERT INTO "budget_spend" ("subject_type", "subject_id", "period", "cost_usd", "requests")
         SELECT 'key', "api_key_id", '${kind}:' || to_char(date_trunc('${trunc}', "created_at" AT TIME ZONE 'UTC'), '${format}'),
                SUM("cost_usd"), COUNT(*)
         FROM "usage_records"
         WHERE "api_key_id" IS NOT NULL AND "created_at" >= date_trunc('week', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '7 days'
         GROUP BY 1, 2, 3`,
      );
    }
    await queryRunner.query(`DROP TABLE "key_monthly_spend"`);
    await queryRunner.query(`ALTER TABLE "usage_records" ADD "team_id" uuid`);
    await queryRunner.query(`ALTER TABLE "usage_records" ADD "end_user" character varying(256)`);
    await queryRunner.query(
      `CREATE INDEX "usage_records_team_id_created_at_idx" ON "usage_records" ("team_id", "created_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "usage_records_team_id_created_at_idx"`);
    await queryRunner.query(`ALTER TABLE "usage_records" DROP COLUMN "end_user"`);
    await queryRunner.query(`ALTER TABLE "usage_records" DROP COLUMN "team_id"`);
    await queryRunner.query(
      `CREATE TABLE "key_monthly_spend" ("api_key_id" uuid NOT NULL, "month" date NOT NULL, "cost_usd" numeric NOT NULL DEFAULT '0', "requests" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_b8bae8adda6adeda0e30511ff6a" PRIMARY KEY ("api_key_id", "month"))`,
    );
    await queryRunner.query(
      `INSERT INTO "key_monthly_spend" ("api_key_id", "month", "cost_usd", "requests")
       SELECT "subject_id", to_date(substr("period", 7), 'YYYY-MM'), "cost_usd", "requests" FROM "budget_spend"
       WHERE "subject_type" = 'key' AND "period" LIKE 'month:%'`,
    );
    await queryRunner.query(`DROP TABLE "budget_spend"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "FK_api_keys_team_id"`);
    await queryRunner.query(`DROP INDEX "api_keys_team_id_idx"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "team_id"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "alert_thresholds"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "budget_period"`);
    await queryRunner.query(`ALTER TABLE "api_keys" RENAME COLUMN "budget" TO "monthly_budget"`);
    await queryRunner.query(`DROP TABLE "teams"`);
  }
}
