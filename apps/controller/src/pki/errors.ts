/**
 * Errors of the cluster CA and join tokens. None of them ever carries a token, a secret, a
 * private key or a CSR body: at most a token id (public, it names the token in `list`), a node
 * name, a file path or a certificate's subject. HVS-JOIN-TOKEN-MALFORMED, which the agent
 * raises too, is in @hvs/pki.
 */
import { HvsError } from '@hvs/domain';
import { TOKEN_CREATE_FIX } from '@hvs/pki';

/** Unknown and already-used tokens get the same error: no oracle for which ids exist. */
export function tokenInvalid(): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-TOKEN-INVALID', category: 'Unauthenticated',
    message: 'the join token is not valid',
    why: 'it is unknown, was revoked, or was already used (a join token works once)',
    fix: TOKEN_CREATE_FIX,
  });
}

export function tokenExpired(id: string, expiredAt: Date): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-TOKEN-EXPIRED', category: 'Unauthenticated',
    message: `join token ${id} expired at ${expiredAt.toISOString()}`,
    why: 'join tokens are valid only for the time given when they were created (default 1 hour)',
    fix: `${TOKEN_CREATE_FIX}; if it should not have expired yet, check the clocks of the controller and this host (see docs/security.md, clock skew)`,
  });
}

export function tokenNodeMismatch(id: string, boundTo: string, requested: string): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-TOKEN-NODE-MISMATCH', category: 'PermissionDenied',
    message: `join token ${id} is for node "${boundTo}", not "${requested}"`,
    why: 'a token created with --node may only join a host under that name',
    fix: `start the agent with --node-name ${boundTo}, or create a token for "${requested}"`,
  });
}

export function tokenTtlInvalid(ttlMs: number, maxMs: number): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-TOKEN-TTL-INVALID', category: 'InvalidArgument',
    message: `a join token cannot be valid for ${Math.round(ttlMs / 1000)} s`,
    why: `the validity must be from 1 minute to ${Math.round(maxMs / 3_600_000)} hours: a long-lived join secret is a standing invitation`,
    fix: 'pass a --ttl from 1m to 720h (default 1h)',
  });
}

export function nodeNameInvalid(name: string): HvsError {
  return new HvsError({
    code: 'HVS-PKI-NODE-NAME-INVALID', category: 'InvalidArgument',
    message: `"${name.slice(0, 80)}" is not a valid node name`,
    why: 'node names are DNS labels: 1-63 lowercase letters, digits and "-", starting and ending with a letter or digit',
    fix: 'pick a name like "host-1" (--node-name)',
  });
}

export function csrInvalid(why: string): HvsError {
  return new HvsError({
    code: 'HVS-PKI-CSR-INVALID', category: 'InvalidArgument',
    message: 'the certificate signing request was refused',
    why,
    fix: 'let the agent create its request itself (delete its pki directory to start over); requests must be PEM PKCS#10 with an ECDSA P-256 key',
  });
}

export function csrNameMismatch(requested: string, allowed: string): HvsError {
  return new HvsError({
    code: 'HVS-PKI-CSR-NAME-MISMATCH', category: 'PermissionDenied',
    message: `the certificate request names "${requested.slice(0, 120)}", but this join may only certify node "${allowed}"`,
    why: 'a node gets a certificate for its own name only, so one host can never act for another',
    fix: `start the agent with --node-name ${allowed} (or delete its pki directory so it makes a new request for its name)`,
  });
}

export function peerUntrusted(why: string, fix = 'join the host again with a new token (`hvctl node token create`), or check `hvctl diagnose` for an expired certificate'): HvsError {
  return new HvsError({ code: 'HVS-PKI-PEER-UNTRUSTED', category: 'Unauthenticated', message: 'the client certificate does not identify a node of this cluster', why, fix });
}

export function caUnreadable(path: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-PKI-CA-UNREADABLE', category: 'FailedPrecondition',
    message: `the cluster CA in ${path} cannot be used`,
    why,
    fix: `restore ${path} (ca.crt and ca.key) from backup; only if no node has joined yet, delete the directory to create a new CA`,
  });
}

export function tokenUsesInvalid(uses: number, max: number): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-TOKEN-USES-INVALID', category: 'InvalidArgument', path: 'uses',
    message: `a join token cannot join ${uses} hosts`,
    why: `a token joins from 1 to ${max} hosts: a bounded count limits what a leaked token can add`,
    fix: `pass --uses from 1 to ${max} (default 1); for more hosts, mint another token when this one is used up`,
  });
}

export function multiUseBound(node: string): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-TOKEN-MULTI-USE-BOUND', category: 'InvalidArgument', path: 'uses',
    message: `a join token for several hosts cannot be bound to node "${node.slice(0, 63)}"`,
    why: 'one node name is one host; a token bound to a name joins that host once',
    fix: 'drop --node to join several new hosts (each gives its own --node-name), or drop --uses to join this one node',
  });
}

export function replaceUnbound(): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-TOKEN-REPLACE-UNBOUND', category: 'InvalidArgument', path: 'replace',
    message: 'a replace token must name the node it replaces',
    why: 'replacing cuts off the existing host of that name; the admin has to say which one',
    fix: 'hvctl node token create --node NAME --replace',
  });
}

/** At token creation: the admin named an existing node without asking to replace it. */
export function nodeExistsAtCreate(node: string): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-NODE-EXISTS', category: 'AlreadyExists', path: 'node_name',
    message: `node "${node}" already exists; a join token for it would replace it`,
    why: 'joining under an existing name gives the new host that node\'s identity, address and assigned VMs, and cuts off the host that has it now',
    fix: `to move node ${node} to a new host or a new key on purpose: \`hvctl node token create --node ${node} --replace\` (audited); otherwise pick a new name`,
  });
}

/** At join: the name is taken and the token was not minted to replace it. */
export function nodeExistsAtJoin(node: string): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-NODE-EXISTS', category: 'AlreadyExists',
    message: `a node named "${node}" already exists`,
    why: 'a join never takes over an existing node: only a token minted with --replace may re-join it',
    fix: `pick another --node-name, or have an admin replace the node on purpose: \`hvctl node token create --node ${node} --replace\``,
  });
}

export function tokenRateLimited(retryAfterMs: number): HvsError {
  const s = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new HvsError({
    code: 'HVS-JOIN-TOKEN-RATE-LIMITED', category: 'ResourceExhausted',
    message: 'too many join tokens were created in a short time',
    why: 'token creation is rate-limited so a runaway script (or a stolen admin credential) cannot mint tokens without bound',
    fix: `retry after ${s} s; to join many hosts at once, mint one multi-use token: \`hvctl node token create --uses N --ttl 1h\``,
  });
}

export function tokenCapReached(cap: number): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-TOKEN-CAP', category: 'ResourceExhausted',
    message: `there are already ${cap} open join tokens (the cap)`,
    why: 'every unused, unexpired token is a standing invitation to join the cluster, so their number is capped',
    fix: 'revoke tokens nobody will use: `hvctl node token list`, then `hvctl node token revoke ID`; to join many hosts, one `--uses N` token counts once',
  });
}
