/**
 * `hvctl apply --ssh-key`: the user's SSH public keys into the VMs that would otherwise boot
 * with no way in. Pure: the keys are read by commands/ssh-keys.ts.
 */
import type { ManifestDocument } from '@hvs/domain';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

/**
 * The VirtualMachine documents that get the keys: with spec.cloudInit, and none of
 * users[].sshAuthorizedKeys, sshAuthorizedKeys or userData (a manifest that says how to log in,
 * or brings its own user-data, is left as written).
 */
export function vmsWantingKeys(documents: readonly ManifestDocument[]): ManifestDocument[] {
  return documents.filter((d) => {
    const doc = obj(d.doc);
    const ci = obj(obj(doc?.['spec'])?.['cloudInit']);
    if (doc?.['kind'] !== 'VirtualMachine' || ci === undefined) return false;
    const users = Array.isArray(ci['users']) ? ci['users'] : [];
    return ci['sshAuthorizedKeys'] === undefined && ci['userData'] === undefined && !users.some((u) => obj(u)?.['sshAuthorizedKeys'] !== undefined);
  });
}

/** Sets spec.cloudInit.sshAuthorizedKeys of each VM vmsWantingKeys picks; returns their names. */
export function fillSshKeys(documents: readonly ManifestDocument[], keys: readonly string[]): string[] {
  if (keys.length === 0) return [];
  const names: string[] = [];
  for (const d of vmsWantingKeys(documents)) {
    const doc = d.doc as Obj;
    const spec = doc['spec'] as Obj;
    spec['cloudInit'] = { ...(spec['cloudInit'] as Obj), sshAuthorizedKeys: [...keys] };
    names.push(String(obj(doc['metadata'])?.['name'] ?? `#${d.index}`));
  }
  return names;
}
