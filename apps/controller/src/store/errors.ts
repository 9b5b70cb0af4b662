import { HvsError } from '@hvs/domain';

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

export function unavailable(endpoints: readonly string[], cause: unknown): HvsError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new HvsError({
    code: 'HVS-STORE-UNAVAILABLE', category: 'Unavailable',
    message: `etcd at ${endpoints.join(',')} is not reachable`,
    why,
    fix: 'check `hvctl diagnose` and that etcd runs and listens on that address',
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

export function invalidWrite(message: string, why: string, fix: string, path?: string): HvsError {
  return new HvsError({ code: 'HVS-STORE-INVALID-WRITE', category: 'InvalidArgument', message, why, fix, path });
}
