import { AppException } from '#src/core/errors/app.exception';

/**
 * How deeply a JSON request body may nest (objects and arrays). JSON.parse takes any depth, but a body nested
 * hundreds of thousands of levels deep later overflows the stack of every recursive reader (JSON.stringify,
 * validation, token counting), so it is refused at the door (issue 14).
 */
export const MAX_BODY_DEPTH = 64;

/** What the audit log stores instead of a body refused for its depth. */
export const DEEP_BODY_PLACEHOLDER = `[body not logged: nested deeper than ${MAX_BODY_DEPTH} levels]`;

/**
 * Whether `value` nests objects or arrays deeper than `max` levels (the top-level object is level 1). An
 * iterative walk, so no body can overflow it; it stops at the first container past `max`.
 */
export function nestedDeeperThan(value: unknown, max: number = MAX_BODY_DEPTH): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** The refusal of a too-deep body; the exception filter renders it in the surface's shape (400). */
export class BodyTooDeepException extends AppException {
  constructor() {
    super('body_too_deep', 400, `The request body is nested deeper than ${MAX_BODY_DEPTH} levels.`);
  }
}
