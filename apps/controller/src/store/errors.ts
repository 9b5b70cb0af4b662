import { HvsError, isHvsError } from '@hvs/domain';

/** Whether `e` is the store's optimistic-concurrency refusal (re-read and decide again). */
export function isConflict(e: unknown): boolean {
  return isHvsError(e) && e.code === 'HVS-STORE-CONFLICT';
}

export function notFound(kind: string, name: string): HvsError {
  return new HvsError({
    code: 'HVS-STORE-NOT-FOUND', category: 'NotFound',
    message: `${kind} "${name}" does not exist`,
    why: 'no object with that kind and name is stored (it may have been deleted)',
    fix: `list what exists with \`hvctl get ${kind.toLowerCase()}\` and check the name`,
  });
}

export function alreadyExists(kind: string, name: string): HvsError {
  return new HvsError({
    code: 'HVS-STORE-ALREADY-EXISTS', category: 'AlreadyExists',
    message: `${kind} "${name}" already exists`,
    why: 'create never overwrites an existing object',
    fix: `change it with \`hvctl apply\` (update), or delete it first with \`hvctl delete ${kind.toLowerCase()} ${name}\``,
  });
}

export function conflict(kind: string, name: string, detail: string): HvsError {
  return new HvsError({
    code: 'HVS-STORE-CONFLICT', category: 'Conflict',
    message: `${kind} "${name}" was changed by someone else: ${detail}`,
    why: 'every write compares the resourceVersion it read; a stale writer must not overwrite a newer state',
    fix: `re-read the object (\`hvctl get ${kind.toLowerCase()} ${name}\`), re-apply your change on top, and retry`,
  });
}

/** gRPC/OpenSSL words of a failed TLS handshake (missing or foreign client certificate, untrusted server). */
const TLS_REFUSAL = /SSL|TLS|certificate|handshake/i;

export function unavailable(endpoints: readonly string[], cause: unknown): HvsError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new HvsError({
    code: 'HVS-STORE-UNAVAILABLE', category: 'Unavailable',
    message: `etcd at ${endpoints.join(',')} is not reachable`,
    why,
    fix: TLS_REFUSAL.test(why)
      ? 'etcd refused the TLS connection: HVS_ETCD_CA_FILE must be the CA of etcd\'s server certificate, and HVS_ETCD_CERT_FILE/HVS_ETCD_KEY_FILE a client pair from etcd\'s --trusted-ca-file (for `hvctl up`: <data dir>/etcd-tls); see docs/troubleshooting.md'
      : 'check `hvctl diagnose` and that etcd runs and listens on that address',
    cause,
  });
}

export function watchGone(kind: string, afterRevision: string, compactRevision: string): HvsError {
  return new HvsError({
    code: 'HVS-STORE-WATCH-GONE', category: 'Gone',
    message: `cannot watch ${kind} after revision ${afterRevision}: that history was compacted`,
    why: `etcd keeps changes only from revision ${compactRevision} on`,
    fix: 'list again and watch from the revision the list returns',
  });
}

/** A stored value that does not decode (written by hand or by a broken writer). */
export function unreadable(key: string, cause: unknown): HvsError {
  return new HvsError({
    code: 'HVS-STORE-VALUE-UNREADABLE', category: 'Internal',
    message: `the value stored at ${key} cannot be read`,
    why: `it is not a JSON object the controller wrote: ${cause instanceof Error ? cause.message : String(cause)}`,
    fix: `inspect it with \`etcdctl get ${key}\` and restore it from a backup or delete it (\`etcdctl del ${key}\`), then watch again`,
    cause,
  });
}

export function invalidWrite(message: string, why: string, fix: string, path?: string): HvsError {
  return new HvsError({ code: 'HVS-STORE-INVALID-WRITE', category: 'InvalidArgument', message, why, fix, path });
}

/** What raises etcd's size limits, named the same way in every error that hits them. */
export const RAISE_ETCD_LIMITS = "or raise etcd's --max-txn-ops / --max-request-bytes and the controller's HVS_ETCD_MAX_TXN_OPS to match (hvctl up does: 1024 ops, 8 MiB)";

/**
 * etcd refused a transaction for its size (`request is too large`: over --max-request-bytes,
 * 1.5 MiB by default; `too many operations in txn request`: over --max-txn-ops). Nothing was
 * written: the transaction is all or nothing.
 */
export function batchTooLarge(ops: number, bytes: number, cause: Error): HvsError {
  return new HvsError({
    code: 'HVS-STORE-BATCH-TOO-LARGE', category: 'InvalidArgument',
    message: `etcd refused a batch of ${ops} operation${ops === 1 ? '' : 's'} (${(bytes / 1024 / 1024).toFixed(2)} MiB): ${cause.message.replace(/^\d+ [A-Z_]+: /, '')}; nothing was written`,
    why: 'a batch is written in one etcd transaction (all or nothing), and etcd limits a request to --max-request-bytes (1.5 MiB by default) and --max-txn-ops operations (128 by default)',
    fix: `split the apply into smaller files (fewer or smaller objects: large cloud-init user data counts), ${RAISE_ETCD_LIMITS}`,
    cause,
  });
}

/** Whether `e` is etcd refusing a request for its size (see batchTooLarge). */
export function isEtcdSizeLimit(e: unknown): e is Error {
  return e instanceof Error && /etcdserver: (request is too large|too many operations in txn request)/.test(e.message);
}
