/**
 * Whether the chaos tier may run here: HVS_TEST_SYSTEM=1 (npm test sets it where it can; it
 * creates network namespaces and processes), root with a working `ip netns`, and curl and etcd
 * on PATH. Otherwise the tier is skipped, saying why.
 */
import { execFileSync } from 'node:child_process';
import { netnsUsableSync } from '../harness/netns';
import { describeWhen } from '../harness/tiers';

export function chaosGate(): { enabled: boolean; why: string } {
  if (process.env.HVS_TEST_SYSTEM !== '1') return { enabled: false, why: 'HVS_TEST_SYSTEM is not 1' };
  for (const bin of ['ip', 'curl', 'etcd']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'pipe' });
    } catch {
      return { enabled: false, why: `${bin} is not on PATH` };
    }
  }
  const netns = netnsUsableSync();
  return netns.ok ? { enabled: true, why: '' } : { enabled: false, why: netns.why };
}

/** `describe` when the gate is open; otherwise a real skip whose title says why (harness/tiers.ts). */
export function describeChaos(title: string, body: () => void): void {
  const gate = chaosGate();
  describeWhen(gate.enabled, `${gate.why} (see docs/ha.md)`)(title, body);
}
