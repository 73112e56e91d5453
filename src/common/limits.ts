/**
 * Limit objects (STYLE §3.5). Each layer exports an `XLimits` interface and a frozen `DEFAULT_X_LIMITS`;
 * constructors call {@link resolveLimits} to merge the caller's overrides, validate them and freeze the result.
 * Nothing is unlimited by default: `Infinity` must be passed explicitly.
 */
import { UsageError } from './errors.js';

/** A limits record: every field is a non-negative number or a boolean flag. */
export type LimitsShape = { readonly [key: string]: number | boolean };

/**
 * Merges `overrides` into `defaults`, checks every value, and returns a frozen object.
 * Unknown keys and values of the wrong type are a {@link UsageError}, so a misspelt limit never
 * silently leaves the default in force.
 */
export function resolveLimits<T extends LimitsShape>(
  name: string,
  defaults: T,
  overrides: Partial<T> | undefined,
): Readonly<T> {
  if (overrides === undefined) return defaults;
  const merged: Record<string, number | boolean> = { ...defaults };
  for (const key of Object.keys(overrides)) {
    const value = (overrides as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const def = (defaults as Record<string, unknown>)[key];
    if (def === undefined) {
      throw new UsageError('ERR_INVALID_LIMIT', `${name}: unknown limit '${key}'`);
    }
    if (typeof def === 'boolean') {
      if (typeof value !== 'boolean') {
        throw new UsageError('ERR_INVALID_LIMIT', `${name}.${key} must be a boolean`);
      }
    } else if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new UsageError('ERR_INVALID_LIMIT', `${name}.${key} must be a non-negative number`);
    }
    merged[key] = value;
  }
  return Object.freeze(merged) as unknown as Readonly<T>;
}
