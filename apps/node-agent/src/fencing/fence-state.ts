import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic-file';

export const FENCE_FILE = 'fencing.json';

/** Another agent of the cluster, asked "can you reach the controller?" before self-fencing. */
export interface Peer {
  node: string;
  /** host:port of its Agent service. */
  address: string;
}

/** What self-fencing must remember across an agent restart (a host that reboots while cut off). */
export interface FenceState {
  version: 1;
  /** True from the fence until an Assign with a newer fencing token is accepted. */
  fenced: boolean;
  /** The fencing token held when it fenced: only a newer one lifts the fence. */
  fencedAtToken: number;
  fencedAt?: string;
  reason?: string;
  /** Peers and fenceAfter from the last accepted Assign (asked again after a restart). */
  peers: Peer[];
  fenceAfterMs: number;
}

export function emptyFenceState(): FenceState {
  return { version: 1, fenced: false, fencedAtToken: 0, peers: [], fenceAfterMs: 0 };
}

/** Missing file: never fenced. An unreadable one counts as fenced (the safe reading), with the reason. */
export async function loadFenceState(dir: string): Promise<FenceState> {
  let text: string;
  try {
    text = await readFile(join(dir, FENCE_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyFenceState();
    return { ...emptyFenceState(), fenced: true, reason: `the fencing state ${join(dir, FENCE_FILE)} cannot be read (${(e as Error).message}); staying fenced until the controller assigns anew` };
  }
  try {
    const raw = JSON.parse(text) as FenceState;
    if (raw.version !== 1 || typeof raw.fenced !== 'boolean') throw new Error('not a version-1 fencing state');
    return { ...emptyFenceState(), ...raw, peers: Array.isArray(raw.peers) ? raw.peers : [] };
  } catch (e) {
    return { ...emptyFenceState(), fenced: true, reason: `the fencing state ${join(dir, FENCE_FILE)} is corrupt (${(e as Error).message}); staying fenced until the controller assigns anew` };
  }
}

export function saveFenceState(dir: string, state: FenceState): Promise<void> {
  return writeFileAtomic(join(dir, FENCE_FILE), JSON.stringify(state));
}
