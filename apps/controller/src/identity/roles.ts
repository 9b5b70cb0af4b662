/**
 * Roles and permissions: the one table (docs/security.md#roles prints it). A role is a set of
 * permissions; every API method declares the permission it needs (services/method-permissions.ts)
 * and the service layer checks it for both transports.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  /** get, list, watch, plan, events, cluster status: secrets stay redacted. */
  'resources.read',
  /** the audit log. */
  'audit.read',
  /** apply/delete VM-scoped kinds (VirtualMachine, Migration, Snapshot, Backup). */
  'vms.write',
  /** start, stop, restart. */
  'vms.lifecycle',
  /** migrate and cancel migrations. */
  'vms.migrate',
  /** serial and graphical consoles (planned: issue 14). */
  'vms.console',
  /** snapshots, backups and restores (planned: issue 16). */
  'vms.snapshot',
  /** apply/delete cluster kinds (Node, Network, FirewallPolicy, Image, StoragePool, BackupPolicy, Secret). */
  'cluster.write',
  /** cordon, uncordon, drain, diagnose, node certificates. */
  'nodes.manage',
  /** join tokens. */
  'join-tokens.manage',
  /** users and API tokens. */
  'identity.manage',
  /** read a Secret's value in plain text (`hvctl get secret X --reveal`, audited). */
  'secrets.reveal',
  /** re-encrypt every secret under a new key. */
  'secrets.rotate',
  /**
   * create or change an Image whose source is a URL (the nodes then download from wherever it
   * points): a permission of its own, so a role may manage images without choosing what nodes fetch.
   */
  'images.url',
  /** VMs that reach into the host: host devices, bridge-mode networks, explicit boot/disk paths. */
  'vms.host-access',
  /** node-scoped calls about the caller's own node; only node certificates hold it. */
  'node.self',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const VIEWER: Permission[] = ['resources.read', 'audit.read'];
const OPERATOR: Permission[] = [...VIEWER, 'vms.write', 'vms.lifecycle', 'vms.migrate', 'vms.console', 'vms.snapshot'];
const ADMIN: Permission[] = PERMISSIONS.filter((p) => p !== 'node.self');

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(VIEWER),
  operator: new Set(OPERATOR),
  admin: new Set(ADMIN),
};

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** VM-scoped kinds: an operator may apply and delete them; every other kind needs cluster.write. */
export const VM_SCOPED_KINDS: ReadonlySet<string> = new Set(['VirtualMachine', 'Migration', 'Snapshot', 'Backup']);

/** The permission writing (apply/delete) an object of `kind` needs. */
export function writePermissionOf(kind: string): Permission {
  return VM_SCOPED_KINDS.has(kind) ? 'vms.write' : 'cluster.write';
}

export function roleAllows(role: Role, p: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(p);
}
