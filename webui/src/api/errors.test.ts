import { describe, expect, it } from 'vitest';
import { plainFields, readErrorBody, toApiError } from './errors';

describe('toApiError', () => {
  it.each([
    [
      401,
      { statusCode: 401, message: 'Unauthorized', error: 'Unauthorized' },
      'unauthorized',
      'You are signed out. Sign in again.',
    ],
    [
      403,
      { statusCode: 403, message: 'Forbidden resource', error: 'Forbidden' },
      'forbidden',
      'Your role does not allow this. Ask an admin.',
    ],
    [
      404,
      { statusCode: 404, message: 'API key 123 not found', error: 'Not Found' },
      'not_found',
      'API key 123 not found.',
    ],
    [404, undefined, 'not_found', 'Not found: it may have been deleted meanwhile.'],
    [409, { statusCode: 409, message: 'name already exists', error: 'Conflict' }, 'conflict', 'Name already exists.'],
    [413, undefined, 'too_large', 'That is too large for the gateway to accept.'],
    [
      400,
      { error: { message: 'email must be an email', type: 'invalid_request_error', code: 'invalid' } },
      'invalid',
      'Email must be an email.',
    ],
  ])('maps %i to %s with a message a person can act on', (status, body, kind, message) => {
    expect(toApiError(status, body)).toMatchObject({ status, kind, message });
  });

  it('names the error id of a 5xx, so it can be found in the logs, but not the raw body', () => {
    const err = toApiError(500, {
      statusCode: 500,
      message: 'Internal server error',
      error: 'Internal Server Error',
      error_id: 'e-42',
    });
    expect(err.kind).toBe('server');
    expect(err.message).toContain('error id e-42');
    expect(err.message).not.toContain('Internal server error');
  });

  it('counts down from an HTTP date in retry-after, and says "in a moment" without one', () => {
    const at = new Date(Date.now() + 5_000).toUTCString();
    expect(toApiError(429, undefined, at).retryAfter).toBeGreaterThanOrEqual(4);
    expect(toApiError(429, undefined).message).toBe('Too many attempts. Try again in a moment.');
    expect(toApiError(429, undefined, '1').message).toBe('Too many attempts. Try again in 1 second.');
  });

  it('keeps the field messages of a validation error', () => {
    const err = toApiError(400, {
      statusCode: 400,
      message: ['name must be shorter', 'tags must be an object'],
      error: 'Bad Request',
    });
    expect(err.details).toEqual(['name must be shorter', 'tags must be an object']);
    expect(err.message).toBe('Name must be shorter. Tags must be an object.');
  });
});

describe('readErrorBody', () => {
  it('reads both shapes and ignores anything else', () => {
    expect(readErrorBody({ error: { message: 'm', type: 't', code: 'c' } })).toEqual({ message: ['m'], code: 'c' });
    expect(readErrorBody({ statusCode: 409, message: 'x', error: 'Conflict', code: 'dup' })).toMatchObject({
      message: ['x'],
      code: 'dup',
    });
    expect(readErrorBody('<html>')).toEqual({ message: [] });
    expect(readErrorBody(null)).toEqual({ message: [] });
  });

  it('names the API’s fields as the forms label them', () => {
    const err = toApiError(400, {
      statusCode: 400,
      message: "allowed_models must be within team 'search''s: o3 is not",
      error: 'Bad Request',
    });
    expect(err.message).toBe("Allowed models must be within team 'search's: o3 is not.");
    expect(plainFields('team_id must be a UUID; rate_limit must not be less than 0')).toBe(
      'team must be a UUID; requests per minute must not be less than 0',
    );
  });
});
