/**
 * Errors both sides of the join raise with the same code and text. None of them ever carries
 * a token, a secret, a private key or a CSR body. The controller's and the agent's own errors
 * (CA, tokens in etcd, discovery, identity) stay with them.
 */
import { HvsError } from '@hvs/domain';

export const TOKEN_CREATE_FIX = 'ask an admin for a new token: `hvctl node token create [--node NAME] [--ttl 1h]`';

/** The input is never repeated: a cut token is still most of a secret. */
export function tokenMalformed(): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-TOKEN-MALFORMED', category: 'InvalidArgument',
    message: 'the join token is not in the form hvs1.<id>.<secret>[.<ca-sha256>]',
    why: 'a token is printed once by `hvctl node token create`; it may have been cut or changed when copied',
    fix: `copy the whole token again (no spaces or line breaks), or ${TOKEN_CREATE_FIX}`,
  });
}
