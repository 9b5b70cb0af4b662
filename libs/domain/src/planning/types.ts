/**
 * What `apply` would do to one object, field by field. Pure data: the API returns it,
 * hvctl prints it (`formatPlan`), the e2e test asserts on it.
 */

/** What a field change does to a running object. Ordered from mildest to strongest. */
export type ChangeEffect = 'none' | 'hotplug' | 'migration' | 'restart';

export interface FieldChange {
  /** Dotted path; list items that carry a `name` are addressed by it: `spec.disks[name=data].size`. */
  path: string;
  /** Absent when the field is added. Masked for secret fields (see `sensitive`). */
  old?: unknown;
  /** Absent when the field is removed. Masked for secret fields. */
  new?: unknown;
  /**
   * - none: takes effect without touching the guest (labels, runState, HA policy...).
   * - hotplug: applied to the running guest (device attach/detach, online disk grow).
   * - migration: may need the VM to move to another node (placement rules changed and the
   *   current node may no longer match; planning cannot see the node, so "may").
   * - restart: takes effect only after the guest is stopped and started again.
   */
  effect: ChangeEffect;
  /** Short human hint, e.g. `start`/`stop` for runState, why a change is not hot. */
  note?: string;
  /** The values are secret (cloud-init user data): `old`/`new` hold a mask, never the value. */
  sensitive?: true;
}

export type PlanAction = 'create' | 'update' | 'unchanged';

export interface ObjectPlan {
  kind: string;
  name: string;
  action: PlanAction;
  /** Empty for `create` and `unchanged`; every differing field for `update`. */
  changes: FieldChange[];
}

/**
 * The structural shape planning needs. Every kind's parsed object (`AnyResource`) fits it;
 * kept loose so a plan can be made for any well-formed document, even of a kind this
 * version does not know the effects of.
 */
export interface PlanResource {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: unknown;
  status?: unknown;
}
