/**
 * The secret part of a VM's assignment: inline cloud-init userData and networkConfig, and the
 * resolved values of its secretRefs (VmAssignment.secrets). It arrives only inside the
 * controller's mTLS Assign and is kept in this process's memory only, never in
 * assignment.json: after a restart the agent has none until the controller's next Assign
 * (docs/architecture/secrets.md#on-a-node). Never logged.
 */
import type { VirtualMachine } from '@hvs/domain';

export interface CloudInitMaterial {
  userData?: string;
  networkConfig?: string;
  /** `<secret>/<key>` -> value, as the controller resolved `spec.cloudInit.secretRefs`. */
  secrets: Record<string, Buffer>;
}

/**
 * The VM without userData and networkConfig (what may be persisted and compared), and the
 * material taken out of it (undefined for a VM without cloud-init). secretRefs stay: names only.
 */
export function splitCloudInit(vm: VirtualMachine, secrets: Record<string, Buffer> = {}): { vm: VirtualMachine; material?: CloudInitMaterial } {
  const ci = vm.spec.cloudInit;
  if (ci === undefined) return { vm };
  const { userData, networkConfig, ...rest } = ci;
  const material: CloudInitMaterial = { secrets: { ...secrets } };
  if (userData !== undefined) material.userData = userData;
  if (networkConfig !== undefined) material.networkConfig = networkConfig;
  return { vm: { ...vm, spec: { ...vm.spec, cloudInit: rest } }, material };
}

/** Whether a VM still carries inline cloud-init (a state file written by an agent before this one). */
export function hasInlineCloudInit(vm: VirtualMachine): boolean {
  return vm.spec.cloudInit?.userData !== undefined || vm.spec.cloudInit?.networkConfig !== undefined;
}
