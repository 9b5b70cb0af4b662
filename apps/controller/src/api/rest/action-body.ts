/**
 * The body of a VM action (start, stop, restart, migrate) and of cancel: a JSON object with
 * Content-Type application/json, `{}` when there is nothing to say. Requiring it means a
 * request a browser may send cross-origin without asking first (a form, a bare POST) can
 * never trigger an action: a JSON content type from another origin needs a CORS preflight,
 * which only configured origins pass (http-policy.ts).
 */
import { HvsError } from '@hvs/domain';
import { contentTypeUnsupported, mediaTypeOf } from './http-policy';
import type { RequestLike } from './request-body';

function bodyInvalid(route: string, message: string, fix: string, path?: string): HvsError {
  return new HvsError({
    code: 'HVS-API-BODY-INVALID', category: 'InvalidArgument', message, ...(path !== undefined ? { path } : {}),
    why: `${route} takes a JSON object (Content-Type: application/json), {} when there is nothing to say`, fix,
  });
}

/** The parsed JSON object; `allowed` names its fields (absent: it takes none). */
export function actionBody(req: RequestLike, route: string, allowed: readonly string[] = []): Record<string, unknown> {
  const raw = req.headers['content-type'];
  const got = Array.isArray(raw) ? raw.join(',') : raw;
  if (mediaTypeOf(got) !== 'application/json') throw contentTypeUnsupported(got, ['application/json']);
  const b = req.body;
  if (req.headers['content-length'] === '0' || b === null || typeof b !== 'object' || Array.isArray(b)) {
    throw bodyInvalid(route, 'the request body is not a JSON object', 'send {} (or the documented fields) as the body');
  }
  const extra = Object.keys(b).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw bodyInvalid(route, `unknown field ${JSON.stringify(extra)}`, allowed.length > 0 ? `leave it out; the fields are ${allowed.join(', ')}` : 'send {}', extra);
  return b as Record<string, unknown>;
}
