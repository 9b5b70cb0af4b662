import { HvsError } from '@hvs/domain';
import type { Permission } from './roles';

/** No credential, or one that is not (or no longer) valid: gRPC UNAUTHENTICATED, HTTP 401. */
export function unauthenticated(what: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-AUTH-UNAUTHENTICATED', category: 'Unauthenticated',
    message: `${what} needs a credential`,
    why,
    fix: 'use a context with a client certificate or a bearer token (`hvctl config get-contexts`; an admin creates them with `hvctl user create` or `hvctl token create`); the local context of `hvctl up` has an admin certificate',
  });
}

/** A verified caller whose role (or scope) lacks the permission: gRPC PERMISSION_DENIED, HTTP 403. */
export function forbidden(what: string, actor: string, permission: Permission, why: string): HvsError {
  return new HvsError({
    code: 'HVS-AUTH-FORBIDDEN', category: 'PermissionDenied',
    message: `${actor} may not ${what}: it needs the permission ${permission}`,
    why,
    fix: 'ask an admin for a role that has it (`hvctl auth can-i` shows what yours allows; docs/security.md#roles lists the roles)',
  });
}
