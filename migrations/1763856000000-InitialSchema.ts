import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The complete schema of SPEC §5. Generated from the entities, then reviewed; never edit once merged. */
export class InitialSchema1763856000000 implements MigrationInterface {
  name = 'InitialSchema1763856000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "admin_audit_log" ("id" BIGSERIAL NOT NULL, "admin_id" uuid, "admin_type" character varying(16) NOT NULL, "admin_name" character varying(320), "action" character varying(64) NOT NULL, "resource" character varying(64) NOT NULL, "resource_id" character varying(64), "details" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9425be48a9c753f5753017c61b2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "admin_audit_log_created_at_idx" ON "admin_audit_log" ("created_at")`);
    await queryRunner.query(
      `CREATE TABLE "admin_tokens" ("id" uuid NOT NULL, "service_name" character varying(128) NOT NULL, "token_hash" text NOT NULL, "roles" text array NOT NULL DEFAULT '{}', "enabled" boolean NOT NULL DEFAULT true, "expires_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1b8fe3dbc19bbe91baa16ab6b09" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "admin_tokens_service_name_uq" ON "admin_tokens" ("service_name")`);
    await queryRunner.query(
      `CREATE TABLE "admin_users" ("id" uuid NOT NULL, "email" character varying(320) NOT NULL, "password_hash" text NOT NULL, "display_name" character varying(256), "roles" text array NOT NULL DEFAULT '{}', "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_06744d221bb6145dc61e5dc441d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "admin_users_email_uq" ON "admin_users" ("email")`);
    await queryRunner.query(
      `CREATE TABLE "key_monthly_spend" ("api_key_id" uuid NOT NULL, "month" date NOT NULL, "cost_usd" numeric NOT NULL DEFAULT '0', "requests" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_b8bae8adda6adeda0e30511ff6a" PRIMARY KEY ("api_key_id", "month"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "usage_daily" ("day" date NOT NULL, "api_key_id" uuid NOT NULL, "model_name" character varying(256) NOT NULL, "provider_name" character varying(128) NOT NULL, "requests" bigint NOT NULL DEFAULT '0', "prompt_tokens" bigint NOT NULL DEFAULT '0', "completion_tokens" bigint NOT NULL DEFAULT '0', "cache_read_tokens" bigint NOT NULL DEFAULT '0', "cache_write_tokens" bigint NOT NULL DEFAULT '0', "reasoning_tokens" bigint NOT NULL DEFAULT '0', "cost_usd" numeric NOT NULL DEFAULT '0', "estimated_requests" bigint NOT NULL DEFAULT '0', "unpriced_requests" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_8ef39c026e07ba4cdf799582705" PRIMARY KEY ("day", "api_key_id", "model_name", "provider_name"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "usage_records" ("id" BIGSERIAL NOT NULL, "call_id" uuid NOT NULL, "client_request_id" character varying(128), "api_key_id" uuid, "api_key_name" character varying(256), "model_id" uuid, "model_name" character varying(256), "alias" character varying(256), "provider_id" uuid, "provider_name" character varying(128), "endpoint" character varying(32) NOT NULL DEFAULT 'chat', "prompt_tokens" integer NOT NULL DEFAULT '0', "completion_tokens" integer NOT NULL DEFAULT '0', "cache_read_tokens" integer NOT NULL DEFAULT '0', "cache_write_tokens" integer NOT NULL DEFAULT '0', "reasoning_tokens" integer NOT NULL DEFAULT '0', "cost_usd" numeric NOT NULL DEFAULT '0', "estimated" boolean NOT NULL DEFAULT false, "unpriced" boolean NOT NULL DEFAULT false, "status" integer NOT NULL, "error_code" character varying(64), "stream" boolean NOT NULL DEFAULT false, "latency_ms" integer NOT NULL DEFAULT '0', "ttft_ms" integer, "overhead_ms" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e511cf9f7dc53851569f87467a5" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "usage_records_call_id_uq" ON "usage_records" ("call_id")`);
    await queryRunner.query(`CREATE INDEX "usage_records_created_at_idx" ON "usage_records" ("created_at")`);
    await queryRunner.query(
      `CREATE INDEX "usage_records_api_key_id_created_at_idx" ON "usage_records" ("api_key_id", "created_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "api_keys" ("id" uuid NOT NULL, "name" character varying(256) NOT NULL, "key_hash" character(64) NOT NULL, "key_prefix" character varying(32) NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "allowed_models" text array NOT NULL DEFAULT '{}', "rate_limit" integer, "tokens_per_minute" integer, "monthly_budget" numeric, "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "deleted_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "api_keys_key_hash_uq" ON "api_keys" ("key_hash")`);
    await queryRunner.query(
      `CREATE TABLE "key_metadata" ("api_key_id" uuid NOT NULL, "key" character varying(128) NOT NULL, "value" text NOT NULL, CONSTRAINT "PK_3699eb334cdf605b0b54dbc8074" PRIMARY KEY ("api_key_id", "key"))`,
    );
    await queryRunner.query(`CREATE INDEX "key_metadata_key_value_idx" ON "key_metadata" ("key", "value")`);
    await queryRunner.query(
      `CREATE TABLE "providers" ("id" uuid NOT NULL, "name" character varying(128) NOT NULL, "type" character varying(32) NOT NULL, "base_url" text, "credentials_ciphertext" text, "credentials_fields" text array NOT NULL DEFAULT '{}', "config" jsonb NOT NULL DEFAULT '{}', "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_af13fc2ebf382fe0dad2e4793aa" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "providers_name_uq" ON "providers" ("name")`);
    await queryRunner.query(
      `CREATE TABLE "models" ("id" uuid NOT NULL, "name" character varying(256) NOT NULL, "provider_id" uuid, "provider_model_id" character varying(256), "context_window" integer, "max_output_tokens" integer, "capabilities" text array NOT NULL DEFAULT '{}', "metadata" jsonb NOT NULL DEFAULT '{}', "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ef9ed7160ea69013636466bf2d5" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "models_name_uq" ON "models" ("name")`);
    await queryRunner.query(`CREATE INDEX "models_provider_id_idx" ON "models" ("provider_id")`);
    await queryRunner.query(
      `CREATE TABLE "model_aliases" ("id" uuid NOT NULL, "name" character varying(256) NOT NULL, "model_id" uuid NOT NULL, "config" jsonb NOT NULL DEFAULT '{}', "tags" jsonb NOT NULL DEFAULT '{}', "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7ac276e33d7cdd4a2ad44c01099" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "model_aliases_name_uq" ON "model_aliases" ("name")`);
    await queryRunner.query(`CREATE INDEX "model_aliases_model_id_idx" ON "model_aliases" ("model_id")`);
    await queryRunner.query(
      `CREATE TABLE "pricing_components" ("id" uuid NOT NULL, "model_id" uuid NOT NULL, "direction" character varying(16) NOT NULL, "modality" character varying(16) NOT NULL, "unit" character varying(16) NOT NULL, "tier" character varying(32) NOT NULL DEFAULT 'default', "price" numeric NOT NULL, CONSTRAINT "PK_8d2e9501252e29cc7fc639668c3" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "pricing_components_model_key_uq" ON "pricing_components" ("model_id", "direction", "modality", "unit", "tier")`,
    );
    await queryRunner.query(
      `ALTER TABLE "key_metadata" ADD CONSTRAINT "key_metadata_api_key_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "models" ADD CONSTRAINT "models_provider_id_fk" FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_model_id_fk" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "pricing_components" ADD CONSTRAINT "pricing_components_model_id_fk" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`CREATE INDEX "usage_daily_api_key_id_day_idx" ON "usage_daily" ("api_key_id", "day")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "pricing_components"`);
    await queryRunner.query(`DROP TABLE "model_aliases"`);
    await queryRunner.query(`DROP TABLE "models"`);
    await queryRunner.query(`DROP TABLE "providers"`);
    await queryRunner.query(`DROP TABLE "key_metadata"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`DROP TABLE "usage_records"`);
    await queryRunner.query(`DROP TABLE "usage_daily"`);
    await queryRunner.query(`DROP TABLE "key_monthly_spend"`);
    await queryRunner.query(`DROP TABLE "admin_users"`);
    await queryRunner.query(`DROP TABLE "admin_tokens"`);
    await queryRunner.query(`DROP TABLE "admin_audit_log"`);
  }
}
