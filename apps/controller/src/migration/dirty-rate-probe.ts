/**
 * Asks a VM's source agent to measure its dirty rate (Agent.SampleDirtyRate) for the estimate
 * MigrateVm shows before anything moves. Bounded by a short deadline (default 2 s: the
 * measurement itself takes the 1 s period plus QEMU's hashing, 1.4 s on TCG here); every
 * failure (test driver, old agent, unreachable, slow) rejects and the estimate assumes a rate
 * with the reason in its notes.
 */
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import type { Node, VirtualMachine } from '@hvs/domain';
import { hvsErrorFromServiceError, type agentv1 } from '@hvs/proto';
import type { AgentDialer } from '../agents/agent-connection';

export interface DirtyRateProbe {
  /** Bytes/s dirtied by `vm` on `node`; rejects with an HvsError. */
  sample(node: Node, vm: VirtualMachine): Promise<agentv1.SampleDirtyRateResponse>;
}

export function agentDirtyRateProbe(dialer: AgentDialer, o: { deadlineMs?: number; seconds?: number } = {}): DirtyRateProbe {
  return {
    sample: async (node, vm) => {
      const client = dialer(node.metadata.name, node.spec.address ?? '');
      try {
        return await new Promise<agentv1.SampleDirtyRateResponse>((resolve, reject) => {
          client.sampleDirtyRate(
            { vmUid: vm.metadata.uid ?? '', vmName: vm.metadata.name, seconds: o.seconds ?? 1 }, new Metadata(),
            { deadline: new Date(Date.now() + (o.deadlineMs ?? 2_000)) },
            (e: ServiceError | null, r?: agentv1.SampleDirtyRateResponse) => (e ? reject(hvsErrorFromServiceError(e)) : resolve(r!)),
          );
        });
      } finally {
        client.close();
      }
    },
  };
}
