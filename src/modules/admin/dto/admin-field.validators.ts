import { Transform } from 'class-transformer';
import { ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * The field may be absent, but when present it must be valid: `null` is refused (for fields that PATCH
 * cannot clear, like `name` or `enabled`). Optional nullable fields use `@IsOptional()` instead.
 */
export const OptionalNonNull = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

const DECIMAL_RE = /^(\d+(\.\d*)?|\.\d+)$/;

/** USD as a JSON number or a decimal string without exponent, never negative. */
export function IsAmount(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAmount',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'number' && Number.isFinite(value) && value >= 0) ||
          (typeof value === 'string' && DECIMAL_RE.test(value.trim())),
        defaultMessage: () => '$property must be a non-negative number or decimal string',
      },
    },
    options,
  );
}

/** An object whose values are all strings (tags, credentials), keys 1 to `maxKeyLength` characters. */
export function IsStringMap(maxKeyLength = 128, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringMap',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.entries(value).every(
            ([k, v]) => k.length > 0 && k.length <= maxKeyLength && typeof v === 'string' && v !== '',
          ),
        defaultMessage: () =>
          `$property must be an object of non-empty string values with keys of 1-${maxKeyLength} characters`,
      },
    },
    options,
  );
}

/** Query strings are text: `true`/`false` become booleans, anything else stays as sent (and fails IsBoolean). */
export const ToBoolean = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));

/** A repeatable query parameter arrives as a string once and as an array after. */
export const ToArray = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (value === undefined || Array.isArray(value) ? value : [value]));
