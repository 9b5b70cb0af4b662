/** Errors of the service layer (kinds, request limits, batches). Store errors live in store/errors.ts. */
import { didYouMean, HvsError, KIND_NAMES, KINDS, resolveKind, type KindName, type Problem } from '@hvs/domain';

/** Largest request the API accepts: the manifests of one apply/plan together (issue #3). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** `vm`, `vms`, `virtualmachines`, `VirtualMachine` -> VirtualMachine; anything else HVS-KIND-UNKNOWN. */
export function kindOf(input: string): KindName {
  const kind = resolveKind(input);
  if (kind !== undefined) return kind;
  const names = [...KIND_NAMES, ...Object.values(KINDS).flatMap((k) => [k.plural, ...k.shortNames])];
  const guess = didYouMean(input, names);
  const guessKind = guess === undefined ? undefined : resolveKind(guess);
  throw new HvsError({
    code: 'HVS-KIND-UNKNOWN', category: 'InvalidArgument', path: 'kind',
    message: `kind "${input.slice(0, 64)}" is unknown${guessKind ? ` (did you mean "${guessKind}"?)` : ''}`,
    why: `the known kinds are ${KIND_NAMES.join(', ')} (or their short names, e.g. vm, net, pool)`,
    fix: guessKind ? `use ${guessKind}` : 'use one of the known kinds; `hvctl api-resources` lists them with short names',
  });
}

export function requestTooLarge(bytes: number): HvsError {
  return new HvsError({
    code: 'HVS-API-REQUEST-TOO-LARGE', category: 'ResourceExhausted',
    message: `the request carries ${bytes} bytes of manifests, more than ${MAX_REQUEST_BYTES} (1 MiB)`,
    why: 'one apply is one etcd transaction; requests are limited to 1 MiB to keep it and the server bounded',
    fix: 'split the files into several smaller applies (objects that depend on each other can go in separate batches)',
  });
}

export function emptyBatch(): HvsError {
  return new HvsError({
    code: 'HVS-APPLY-EMPTY', category: 'InvalidArgument',
    message: 'the request holds no documents',
    why: 'apply and plan need at least one manifest document (empty YAML documents are skipped)',
    fix: 'pass the manifest files with -f, e.g. `hvctl apply -f vm.yaml`',
  });
}

/** Every problem of a rejected batch; the head names the count so a one-line view is still honest. */
export function batchInvalid(problems: Problem[]): HvsError {
  const first = problems[0]!;
  return new HvsError({
    code: 'HVS-APPLY-BATCH-INVALID', category: 'InvalidArgument',
    message: `the batch has ${problems.length} problem(s); nothing was written. First: ${first.path ? `${first.path}: ` : ''}${first.message}`,
    why: 'apply is all-or-nothing: every document must be valid before anything is written',
    fix: 'fix every problem listed (each names its file, document and line) and apply again',
    problems,
  });
}

/**
 * Names of a delete of several objects that do not exist; one problem per name. Nothing was
 * deleted: the call is all or nothing.
 */
export function namesNotFound(kind: string, missing: readonly string[], asked: number): HvsError {
  const fix = `check the names with \`hvctl get ${kind.toLowerCase()}\`, or add --ignore-not-found to delete the ones that exist`;
  // Each problem says it too: a client showing one problem alone must still say nothing was deleted.
  const why = 'nothing was deleted: a delete of several objects is all or nothing';
  return new HvsError({
    code: 'HVS-STORE-NOT-FOUND', category: 'NotFound',
    message: `${missing.length} of the ${asked} ${kind} names do not exist: ${missing.map((n) => JSON.stringify(n.slice(0, 64))).join(', ')}`,
    why,
    fix,
    problems: missing.map((n) => ({ code: 'HVS-STORE-NOT-FOUND', path: n.slice(0, 64), message: `${kind} "${n.slice(0, 64)}" does not exist`, why, fix })),
  });
}

/** A delete request must say what to delete in exactly one way. */
export function deleteTargetInvalid(message: string, fix: string): HvsError {
  return new HvsError({
    code: 'HVS-API-DELETE-TARGET-INVALID', category: 'InvalidArgument',
    message,
    why: 'a delete names one object (name, optionally resourceVersion), several (names) or a label selector, one of them',
    fix,
  });
}

export function resourceVersionInvalid(value: string): HvsError {
  return new HvsError({
    code: 'HVS-API-RESOURCE-VERSION-INVALID', category: 'InvalidArgument', path: 'resourceVersion',
    message: `resourceVersion "${value.slice(0, 32)}" is not a revision number`,
    why: 'a resourceVersion is the decimal etcd revision a List, Get or watch event returned',
    fix: 'pass the resourceVersion from a previous response, or leave it empty',
  });
}

/** Checks a client-given revision (empty: none). */
export function revisionOf(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[0-9]{1,19}$/.test(value)) throw resourceVersionInvalid(value);
  return value;
}

export function notImplemented(what: string): HvsError {
  return new HvsError({
    code: 'HVS-API-NOT-IMPLEMENTED', category: 'FailedPrecondition',
    message: `${what} is not implemented by this controller yet`,
    why: 'the API defines it, but this controller version does not serve it',
    fix: 'upgrade the controller; until then use the operations listed in docs/architecture/controller-api.md',
  });
}
