import { createHash } from 'node:crypto';
import type { VirtualMachine } from '../kinds/vm';
import { domainName } from '../naming';
import { vmIdentity } from '../xml/naming';
import type { CloudInitNic, CloudInitSecrets, CloudInitSeed } from './input';
import { renderNetworkConfig } from './network-config';
import { guestSecretFiles, renderUserData } from './user-data';
import { cloudYaml } from './yaml';

/**
 * The NoCloud seed of a VM with spec.cloudInit: meta-data, user-data and network-config, as text.
 * Pure and deterministic. `nics` are the VM's NICs in spec order (seed-nics.ts cloudInitNics);
 * `material` holds the inline userData/networkConfig (the node keeps them apart from the spec)
 * and the resolved secretRefs.
 *
 * instance-id = `hvs-<uid>-<first 12 hex of sha256(uid, hostname, user-data, network-config)>`:
 * cloud-init runs its per-instance modules again only when the instance-id changes, so any change
 * of what the guest would be told (a field, a secret value, an address) gives a new one, and an
 * unchanged spec keeps it (no second first boot after an agent restart).
 *
 * Errors (HvsError, HVS-CLOUDINIT-*) name fields and Secrets, never user-data or secret values.
 */
export function renderCloudInitSeed(vm: VirtualMachine, nics: readonly CloudInitNic[], material: CloudInitSecrets): CloudInitSeed {
  const ci = vm.spec.cloudInit ?? {};
  const uid = vmIdentity(vm);
  const hostname = ci.hostname ?? vm.metadata.name;
  const fqdn = nics[0]?.dnsName ? nics[0].dnsName : undefined;
  const files = guestSecretFiles(ci.secretRefs ?? [], material.secrets);
  const userData = renderUserData(ci, { hostname, ...(fqdn ? { fqdn } : {}) }, material.userData ?? ci.userData, files);
  const raw = material.networkConfig ?? ci.networkConfig;
  const networkConfig = raw ?? renderNetworkConfig(nics);
  const digest = createHash('sha256').update(JSON.stringify([uid, hostname, userData, networkConfig])).digest('hex').slice(0, 12);
  const instanceId = `${domainName(uid)}-${digest}`;
  return { instanceId, metaData: cloudYaml({ 'instance-id': instanceId, 'local-hostname': hostname }), userData, networkConfig };
}
