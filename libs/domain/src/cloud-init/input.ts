/**
 * What the cloud-init renderer needs besides the VM: its NICs as the controller bound them and
 * the secret material the node holds. CloudInitNic is also the node agent's NicBinding
 * (state/assignment-store.ts); CloudInitSecrets is a structural copy of its
 * state/cloud-init-material.ts, so the pure renderer does not depend on the agent.
 */

/** One NIC of the VM: the agent's NicBinding, or one derived from the spec (seed-nics.ts). */
export interface CloudInitNic {
  /** The interface name in the guest (`set-name`), e.g. eth0. */
  name: string;
  network: string;
  mac: string;
  /** Empty when the controller reserved none (bridge-mode Network, or no binding yet). */
  ipv4: string;
  prefixLength: number;
  gateway: string;
  /** `<vm>.<domain>`; the first NIC's is the guest's fqdn. */
  dnsName: string;
  /** Write the address into network-config instead of asking DHCP. */
  static: boolean;
  dnsServers: string[];
}

/** The secret part: inline userData/networkConfig and the resolved secretRefs. */
export interface CloudInitSecrets {
  userData?: string;
  networkConfig?: string;
  /** `<secret>/<key>` -> value, as the controller resolved spec.cloudInit.secretRefs. */
  secrets: Record<string, Uint8Array>;
}

/** The three NoCloud files and the instance-id in meta-data. */
export interface CloudInitSeed {
  instanceId: string;
  metaData: string;
  userData: string;
  networkConfig: string;
}

/** Where each resolved secret key lands in the guest: `<dir>/<secret>/<key>`, root 0600. */
export const GUEST_SECRETS_DIR = '/run/hvs/secrets';
