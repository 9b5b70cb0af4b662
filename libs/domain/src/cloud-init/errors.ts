/**
 * The renderer's errors. None of them quotes user-data, network-config or a secret value: they
 * name fields, Secrets and keys only (user-data may hold passwords and tokens).
 */
import { HvsError, type ErrorCategory } from '../errors';

export function cloudInitError(code: string, category: ErrorCategory, path: string, message: string, why: string, fix: string): HvsError {
  return new HvsError({ code, category, path, message, why, fix });
}
