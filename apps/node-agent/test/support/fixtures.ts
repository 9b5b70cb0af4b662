import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VirtualMachine } from '@hvs/domain';
import { toProtoObject, type agentv1 } from '@hvs/proto';
import type { Agent } from '../../src/agent/agent';
import { assignmentFromRequest } from '../../src/grpc/assign-request';

/** A small valid VM as the controller stores it (uid and generation set). */
export function testVm(name: string, uid: string, opts: { generation?: number; runState?: 'Running' | 'Stopped'; memory?: string; cores?: number; disks?: VirtualMachine['spec']['disks'] } = {}): VirtualMachine {
  return {
    apiVersion: 'hvs/v1', kind: 'VirtualMachine',
    metadata: { name, uid, generation: opts.generation ?? 1 },
    spec: { cpu: { cores: opts.cores ?? 1 }, memory: { size: opts.memory ?? '64MiB' }, disks: opts.disks ?? [], networks: [], runState: opts.runState ?? 'Running' },
  };
}

export function assignRequest(vms: unknown[], generation: number, fencingToken = generation, node = ''): agentv1.AssignRequest {
  return {
    node, generation, fencingToken,
    vms: vms.map((vm) => ({ vm: toProtoObject(vm as VirtualMachine), secrets: {}, firewallPolicies: [], nics: [], imageDigests: {} })),
    networks: [], firewallPolicies: [], images: [], storagePools: [], peers: [], fenceAfterMs: 0, networkBindings: [],
  };
}

/** Hands `req` to an in-process agent the way the gRPC Assign handler does: checked at the edge, then applied. */
export async function assignInProcess(agent: Agent, req: agentv1.AssignRequest): Promise<{ observedGeneration: number }> {
  return agent.assign(assignmentFromRequest(req, { nodeName: agent.nodeName, facts: await agent.renderFacts() }));
}

/** A temp dir removed by the returned cleanup (call it in afterEach/afterAll). */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Awaits `cond` (re-checked every 20 ms of real time) until it holds or `deadlineMs` passes;
 * the failure names what was awaited. For waiting on real I/O (gRPC, qemu-img, child processes).
 */
export async function until<T>(what: string, cond: () => T | undefined | false | Promise<T | undefined | false>, deadlineMs = 20_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
