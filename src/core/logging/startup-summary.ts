import { join } from 'node:path';
import type { AppConfig } from '#src/core/config/app-config';

/** What the admin bootstrap did at this start, as far as the summary needs it. */
export interface AdminAtStart {
  /** The admin created now, or BOOTSTRAP_ADMIN_EMAIL when one already existed. */
  email?: string;
  created: boolean;
  passwordGenerated: boolean;
}

export interface StartupSummary {
  url: string;
  docsUrl: string;
  adminEmail: string | null;
  adminCreated: boolean;
  passwordGenerated: boolean;
  processors: boolean;
  auditSink: string;
}

/** Where audit records go: an S3 bucket, local files, or nowhere. */
function auditSink(config: AppConfig): string {
  const env = config.env;
  if (!env.LOGGING_SINK_ENABLED) return 'off';
  if (env.LOGGING_SINK_S3_BUCKET) return `s3://${env.LOGGING_SINK_S3_BUCKET}/${env.LOGGING_SINK_S3_PREFIX}`;
  return `files under ${join(env.DATA_DIR, 'logs')}`;
}

export function startupSummary(config: AppConfig, admin: AdminAtStart): StartupSummary {
  const url = `http://localhost:${config.port}`;
  return {
    url,
    docsUrl: `${url}/docs`,
    adminEmail: admin.email ?? null,
    adminCreated: admin.created,
    passwordGenerated: admin.passwordGenerated,
    processors: config.env.RUN_PROCESSORS,
    auditSink: auditSink(config),
  };
}

/** The few lines a person starting the gateway by hand reads last (development only; production has the JSON line). */
export function formatStartupSummary(s: StartupSummary): string {
  const admin = s.adminEmail
    ? `${s.adminEmail}${s.passwordGenerated ? ' (password generated now, printed above once)' : s.adminCreated ? ' (created now)' : ''}`
    : 'an admin already exists';
  return [
    '',
    `  Gateway ready:  ${s.url}   API docs: ${s.docsUrl}`,
    `  Admin:          ${admin}`,
    `  Processors:     ${s.processors ? 'on (billing and audit-log jobs run in this process)' : 'off (run dist/src/worker.js)'}`,
    `  Audit sink:     ${s.auditSink}`,
    '',
  ].join('\n');
}
