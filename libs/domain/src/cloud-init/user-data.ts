import { knownUserDataHeader, type VirtualMachine } from '../kinds/vm';
import { cloudInitError } from './errors';
import { GUEST_SECRETS_DIR } from './input';
import { cloudYaml } from './yaml';

type CloudInitSpec = NonNullable<VirtualMachine['spec']['cloudInit']>;


const SECRET_PART = /^[-._a-zA-Z0-9]{1,253}$/;
const BOUNDARY_PREFIX = 'hvs-cloud-init-';

/** One resolved secret key, written by cloud-init's write_files as `<dir>/<secret>/<key>`. */
export interface GuestSecretFile {
  secret: string;
  key: string;
  value: Uint8Array;
}

/**
 * The secret files of `refs`, sorted, from the resolved material (`<secret>/<key>` -> value).
 * Throws HVS-CLOUDINIT-SECRET-UNRESOLVED naming every Secret with no key resolved (never a value).
 */
export function guestSecretFiles(refs: readonly string[], secrets: Record<string, Uint8Array>): GuestSecretFile[] {
  const files: GuestSecretFile[] = [];
  const missing: string[] = [];
  for (const secret of refs) {
    const keys = Object.keys(secrets).filter((k) => k.startsWith(`${secret}/`)).sort();
    if (keys.length === 0) missing.push(secret);
    for (const k of keys) {
      const key = k.slice(secret.length + 1);
      if (!SECRET_PART.test(key) || key === '.' || key === '..') {
        throw cloudInitError('HVS-CLOUDINIT-SECRET-KEY-INVALID', 'InvalidArgument', 'spec.cloudInit.secretRefs',
          `Secret "${secret}" has a key that is not a file name`, 'each key becomes a file name in the guest',
          `rename the key in Secret "${secret}" to letters, digits, '-', '_' or '.'`);
      }
      files.push({ secret, key, value: secrets[k]! });
    }
  }
  if (missing.length > 0) {
    const names = missing.map((s) => `"${s}"`).join(', ');
    throw cloudInitError('HVS-CLOUDINIT-SECRET-UNRESOLVED', 'FailedPrecondition', 'spec.cloudInit.secretRefs',
      `Secret ${names} named in spec.cloudInit.secretRefs is not resolved on this node`,
      'the seed must carry every referenced Secret; one built without it would boot the guest without its credentials',
      `create the Secret (\`hvctl apply\` a Secret named ${names}), or remove it from secretRefs; the node builds the seed once the controller sends it`);
  }
  return files;
}

/**
 * user-data: the raw `userData` as is, or `#cloud-config` built from the structured fields.
 * Secret files go into `write_files` (root, 0600, base64); with raw userData they travel in a
 * second MIME part that cloud-init merges in (lists appended, so the user's own write_files stay).
 */
export function renderUserData(ci: CloudInitSpec, meta: { hostname: string; fqdn?: string }, rawUserData: string | undefined, files: readonly GuestSecretFile[]): string {
  const writeFiles = files.map((f) => ({
    path: `${GUEST_SECRETS_DIR}/${f.secret}/${f.key}`, owner: 'root:root', permissions: '0600', encoding: 'b64',
    content: Buffer.from(f.value).toString('base64'),
  }));
  if (rawUserData !== undefined) {
    if (!knownUserDataHeader(rawUserData)) {
      throw cloudInitError('HVS-CLOUDINIT-USERDATA-FORMAT', 'InvalidArgument', 'spec.cloudInit.userData',
        'spec.cloudInit.userData does not start with a header cloud-init recognises',
        'cloud-init silently ignores user-data whose first line is not one of #cloud-config, #!, #include, #cloud-boothook, #part-handler, ## template: jinja or a MIME header',
        'begin userData with "#cloud-config" (YAML) or "#!/bin/sh" (a script)');
    }
    return writeFiles.length === 0 ? rawUserData : multipart(rawUserData, `#cloud-config\n${cloudYaml({ write_files: writeFiles, merge_how: MERGE_APPEND })}`);
  }
  const doc: Record<string, unknown> = { hostname: meta.hostname };
  if (meta.fqdn !== undefined) doc['fqdn'] = meta.fqdn;
  if (ci.users !== undefined) {
    // Naming `default` keeps the image's default user (cloud-init drops it when users is set).
    doc['users'] = ['default', ...ci.users.map((u) => ({
      name: u.name,
      ...(u.sshAuthorizedKeys ? { ssh_authorized_keys: [...u.sshAuthorizedKeys] } : {}),
      ...(u.sudo ? { sudo: 'ALL=(ALL) NOPASSWD:ALL' } : {}),
      ...(u.shell ? { shell: u.shell } : {}),
      ...(u.groups ? { groups: [...u.groups] } : {}),
    }))];
  }
  if (ci.sshAuthorizedKeys !== undefined) doc['ssh_authorized_keys'] = [...ci.sshAuthorizedKeys];
  if (ci.packages !== undefined) doc['packages'] = [...ci.packages];
  if (ci.runcmd !== undefined) doc['runcmd'] = [...ci.runcmd];
  if (writeFiles.length > 0) doc['write_files'] = writeFiles;
  return `#cloud-config\n${cloudYaml(doc)}`;
}

/** cloud-init's merge rule for our part: append to the user's lists, never replace their keys. */
const MERGE_APPEND = [{ name: 'list', settings: ['append'] }, { name: 'dict', settings: ['no_replace', 'recurse_list'] }];

/**
 * A MIME multi-part user-data: the user's part as text/plain (cloud-init then tells its type
 * from its first line) and ours as text/cloud-config. The boundary must not occur in either
 * part; it is derived from a counter until it does not (deterministic, so the instance-id is).
 */
function multipart(user: string, ours: string): string {
  let n = 0;
  while (user.includes(`${BOUNDARY_PREFIX}${n}`) || ours.includes(`${BOUNDARY_PREFIX}${n}`)) n++;
  const b = `${BOUNDARY_PREFIX}${n}`;
  const part = (type: string, body: string) => `--${b}\nContent-Type: ${type}; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n\n${body.endsWith('\n') ? body : `${body}\n`}`;
  return `Content-Type: multipart/mixed; boundary="${b}"\nMIME-Version: 1.0\n\n${part('text/plain', user)}${part('text/cloud-config', ours)}--${b}--\n`;
}
