import { ValidateIf } from 'class-validator';

/**
 * Like `@IsOptional()`, except that only an absent property skips validation: an explicit `null`
 * is validated, and refused by the property's other rules, instead of reaching the service.
 */
export const IsOptionalNotNull = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);
