/** What went wrong with an API call, in words an operator can act on. */
export type ApiErrorKind =
  | 'network'
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'throttled'
  | 'server';

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status: number,
    /** Per-field messages of a validation error (400), as the API wrote them. */
    readonly details: string[] = [],
    readonly code?: string,
    /** Seconds, from `retry-after` on a 429. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ErrorBody {
  message: string[];
  code?: string;
  errorId?: string;
}

const asStrings = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [];

/**
 * Reads both error shapes the gateway answers: the admin API's `{statusCode, message, error, code?, error_id?}`
 * and `{error: {message, type, code}}` (proxy and console session routes).
 */
export function readErrorBody(body: unknown): ErrorBody {
  if (typeof body !== 'object' || body === null) return { message: [] };
  const b = body as Record<string, unknown>;
  if (typeof b.error === 'object' && b.error !== null) {
    const e = b.error as Record<string, unknown>;
    return { message: asStrings(e.message), code: typeof e.code === 'string' ? e.code : undefined };
  }
  return {
    message: asStrings(b.message),
    code: typeof b.code === 'string' ? b.code : undefined,
    errorId: typeof b.error_id === 'string' ? b.error_id : undefined,
  };
}

/** The API's field names as the console's forms label them, so a refusal reads in the form's words. */
const FIELD_WORDS: Record<string, string> = {
  allowed_models: 'allowed models',
  team_id: 'team',
  rate_limit: 'requests per minute',
  tokens_per_minute: 'tokens per minute',
  budget_period: 'budget period',
  monthly_budget: 'monthly budget',
  alert_thresholds: 'budget alerts',
  expires_at: 'expiry',
};
const FIELD_RE = new RegExp(`\\b(${Object.keys(FIELD_WORDS).join('|')})\\b`, 'g');

/** "allowed_models must be within team 'search''s: x is not" → "allowed models must be within team 'search's: x is not". */
export const plainFields = (text: string): string =>
  text.replace(FIELD_RE, (name) => FIELD_WORDS[name] ?? name).replace(/'(\w[^']*)''s\b/g, "'$1's");

const sentence = (raw: string): string => {
  const t = plainFields(raw).trim();
  if (!t) return t;
  const first = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
};

function retrySeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Maps a failed response to an ApiError whose message can be shown as is. */
export function toApiError(status: number, body: unknown, retryAfterHeader: string | null = null): ApiError {
  const { message, code, errorId } = readErrorBody(body);
  const said = message.map(sentence).join(' ');
  if (status === 400 || status === 422)
    return new ApiError('invalid', said || 'The request was not accepted. Check the form.', status, message, code);
  if (status === 401) return new ApiError('unauthorized', 'You are signed out. Sign in again.', status, [], code);
  if (status === 403)
    return new ApiError('forbidden', 'Your role does not allow this. Ask an admin.', status, [], code);
  if (status === 404)
    return new ApiError('not_found', said || 'Not found: it may have been deleted meanwhile.', status, [], code);
  if (status === 409)
    return new ApiError('conflict', said || 'This conflicts with existing data.', status, message, code);
  if (status === 413) return new ApiError('too_large', 'That is too large for the gateway to accept.', status);
  if (status === 429) {
    const wait = retrySeconds(retryAfterHeader);
    const when = wait === undefined ? 'in a moment' : `in ${wait} second${wait === 1 ? '' : 's'}`;
    return new ApiError('throttled', `Too many attempts. Try again ${when}.`, status, [], code, wait);
  }
  const ref = errorId ? ` (error id ${errorId})` : '';
  return new ApiError(
    'server',
    `The gateway could not complete this${ref}. Try again; if it keeps failing, check the gateway's logs.`,
    status,
    [],
    code,
  );
}

export const networkError = (): ApiError =>
  new ApiError('network', 'The gateway cannot be reached. Check that it is running and try again.', 0);

/** Any thrown value as a message for the page. */
export const errorMessage = (err: unknown): string =>
  err instanceof ApiError ? err.message : err instanceof Error ? err.message : 'Something went wrong.';
