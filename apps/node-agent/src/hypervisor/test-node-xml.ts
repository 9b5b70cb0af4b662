import { cpus as osCpus, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The node description for libvirt's test driver (`test:///<abs path>`): a simulated host with
 * this machine's CPUs and memory and one dir pool. Each agent in tests gets its own file, hence
 * its own simulated host with its own domains.
 */
export interface TestNodeOptions {
  cpus?: number;
  memoryBytes?: number;
  poolName?: string;
  /** Absolute directory the `default` dir pool points at. */
  poolDir: string;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

export function renderTestNodeXml(o: TestNodeOptions): string {
  const cpus = o.cpus ?? osCpus().length;
  const memoryKiB = Math.floor((o.memoryBytes ?? totalmem()) / 1024);
  return `<node>
  <cpu>
    <mhz>2000</mhz>
    <model>x86_64</model>
    <active>${cpus}</active>
    <nodes>1</nodes>
    <sockets>1</sockets>
    <cores>${cpus}</cores>
    <threads>1</threads>
  </cpu>
  <memory>${memoryKiB}</memory>
  <pool type='dir'>
    <name>${escapeXml(o.poolName ?? 'default')}</name>
    <target><path>${escapeXml(o.poolDir)}</path></target>
  </pool>
</node>
`;
}

/** Writes the node XML and returns the test-driver URI that loads it. */
export async function writeTestNode(path: string, o: TestNodeOptions): Promise<string> {
  if (!path.startsWith('/')) throw new Error(`test node XML path must be absolute, got ${path}`);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderTestNodeXml(o));
  return `test://${path}`;
}
