import { createHash } from 'node:crypto';

/**
 * Host names of what the agent creates for a Network (fixed contract, docs/adr/0006): a hash keeps
 * every name at 14 characters (the kernel allows 15) whatever the Network is called, and the
 * same on every node.
 */
function hash10(network: string): string {
  return createHash('sha256').update(network).digest('hex').slice(0, 10);
}

/** `hvs-<10 hex of sha256(name)>`: the bridge of a nat, isolated or vxlan Network. */
export function bridgeName(network: string): string {
  return `hvs-${hash10(network)}`;
}

/** `hvx-<same 10 hex>`: the VXLAN device of a vxlan Network. */
export function vxlanName(network: string): string {
  return `hvx-${hash10(network)}`;
}

export const ALIAS_PREFIX = 'hvs:';

/** The ownership mark (`ip link ... alias`): a device without it is never changed or deleted. */
export function ownerAlias(network: string): string {
  return `${ALIAS_PREFIX}${network}`;
}

/** The Network a device belongs to, from its alias; undefined when it is not ours. */
export function networkOfAlias(alias: string | undefined): string | undefined {
  return alias?.startsWith(ALIAS_PREFIX) ? alias.slice(ALIAS_PREFIX.length) : undefined;
}

/**
 * The MAC of our bridge of a Network, derived from its name, so every node's bridge (which all
 * carry the same gateway address) answers ARP for the gateway with the same MAC: on vxlan a
 * distributed gateway (answers from several nodes across the overlay agree), and on every mode
 * a VM that migrates to another node keeps a valid gateway entry in its ARP cache. Set
 * explicitly, it also stays fixed while ports come and go (a bridge otherwise takes the lowest
 * port MAC). Locally administered (0x02), unicast.
 */
export function gatewayMac(network: string): string {
  const h = createHash('sha256').update(`hvs-gateway:${network}`).digest('hex');
  return ['02', ...[0, 2, 4, 6, 8].map((i) => h.slice(i, i + 2))].join(':');
}
