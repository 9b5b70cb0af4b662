/**
 * The agent's one nftables table, `inet hvs-net`, rendered whole from every Network plan of this
 * node and applied atomically (`nft -f`: the file deletes and recreates the table in one
 * transaction). Nothing outside this table is ever touched; the firewall work extends it.
 */
import type { NetworkPlan } from './plan';

export const NFT_FAMILY = 'inet';
export const NFT_TABLE = 'hvs-net';

/** The ruleset file, or undefined when no Network of this node needs a rule (the table is then deleted). */
export function renderNftRuleset(plans: readonly NetworkPlan[]): string | undefined {
  const ours = [...plans].filter((p) => p.owned && (p.mode === 'nat' || p.mode === 'isolated' || p.mode === 'vxlan')).sort((a, b) => a.network.localeCompare(b.network));
  if (ours.length === 0) return undefined;
  const dnat: string[] = [];
  const masq: string[] = [];
  const fwd: string[] = [];
  for (const p of ours) {
    const br = JSON.stringify(p.bridge);
    const tag = `comment ${JSON.stringify(`hvs:${p.network}`)}`;
    if (p.mode === 'nat') {
      if (p.subnet) masq.push(`ip saddr ${p.subnet} ip daddr != ${p.subnet} oifname != ${br} masquerade ${tag}`);
      fwd.push(`iifname ${br} accept ${tag}`, `oifname ${br} accept ${tag}`);
      for (const f of [...p.forwards].sort((a, b) => a.hostPort - b.hostPort || a.protocol.localeCompare(b.protocol))) {
        dnat.push(`fib daddr type local ${f.protocol} dport ${f.hostPort} dnat ip to ${f.ip}:${f.port} comment ${JSON.stringify(`hvs:${p.network}:${f.vm}`)}`);
      }
    } else {
      // isolated and vxlan have no uplink: nothing is routed into or out of their bridge.
      fwd.push(`iifname ${br} oifname != ${br} drop ${tag}`, `oifname ${br} iifname != ${br} drop ${tag}`);
    }
  }
  const chain = (name: string, head: string, rules: string[]): string[] =>
    [`\tchain ${name} {`, `\t\t${head}`, ...rules.map((r) => `\t\t${r}`), '\t}'];
  return [
    '# Written by the hvs node agent: the whole table is replaced at once; do not edit.',
    `table ${NFT_FAMILY} ${NFT_TABLE} {}`,
    `delete table ${NFT_FAMILY} ${NFT_TABLE}`,
    `table ${NFT_FAMILY} ${NFT_TABLE} {`,
    // Port forwards: from any address of the node (prerouting), and from the node itself (output;
    // the symbolic priority dstnat is refused in the output hook by older nft, so its value -100).
    ...chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', dnat),
    ...chain('output', 'type nat hook output priority -100; policy accept;', dnat),
    ...chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', masq),
    ...chain('forward', 'type filter hook forward priority filter; policy accept;', fwd),
    '}',
    '',
  ].join('\n');
}
