import { KINDS, resolveKind, type KindName } from '@hvs/domain';
import { usageError } from '../errors';

/** What a person typed (`vm`, `vms`, `VirtualMachine`, `nodes`) -> kind; usage error listing the kinds otherwise. */
export function kindArg(input: string): KindName {
  const k = resolveKind(input);
  if (k) return k;
  const names = Object.values(KINDS).map((i) => `${i.plural} (${i.shortNames.join(', ')})`);
  throw usageError(`"${input}" is not a kind`, `use one of: ${names.join('; ')}`);
}

/** `vm/web-1` -> [VirtualMachine, web-1]; a bare name keeps the kind given. */
export function splitKindName(arg: string, fallbackKind?: KindName): { kind?: KindName; name: string } {
  const i = arg.indexOf('/');
  if (i > 0) return { kind: kindArg(arg.slice(0, i)), name: arg.slice(i + 1) };
  return { ...(fallbackKind ? { kind: fallbackKind } : {}), name: arg };
}
