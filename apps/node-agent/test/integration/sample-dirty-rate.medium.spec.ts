import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { agentv1, hvsErrorFromServiceError } from '@hvs/proto';
import type { Agent } from '../../src/agent/agent';
import { agentClient } from '../support/agent-client';
import { assignRequest, testVm, until } from '../support/fixtures';
import { startTestDriverAgent } from '../support/test-driver-agent';

/**
 * Agent.SampleDirtyRate over real gRPC on the libvirt test driver: it cannot measure (no QEMU),
 * which the controller turns into "dirty rate assumed: <why>"; a VM not assigned here is
 * NOT_FOUND. The measurement itself on real QEMU: test/hypervisor/dirty-rate.qemu.spec.ts.
 */
describe('Agent.SampleDirtyRate on the libvirt test driver', () => {
  let stop: () => Promise<void>;
  let agent: Agent;
  let client: ReturnType<typeof agentClient>;
  const uid = '00000000-0000-4000-8000-000000000042';

  const sample = (req: Partial<agentv1.SampleDirtyRateRequest>) => new Promise<agentv1.SampleDirtyRateResponse>((resolve, reject) => client.raw.sampleDirtyRate(
    agentv1.SampleDirtyRateRequest.fromPartial(req), new Metadata(), { deadline: new Date(Date.now() + 15_000) }, (e: ServiceError | null, r?: agentv1.SampleDirtyRateResponse) => (e ? reject(e) : resolve(r!))));

  beforeAll(async () => {
    ({ agent, client, stop } = await startTestDriverAgent('hvs-agent-dirtyrate-'));
  });
  afterAll(async () => {
    await stop?.();
  });

  it('an assigned VM: FAILED_PRECONDITION with HVS-LIBVIRT-UNSUPPORTED; an unknown VM: NOT_FOUND with HVS-AGENT-VM-NOT-FOUND', async () => {
    await client.assign(assignRequest([testVm('web', uid)], 1, 10, 'node-1'));
    await until('web defined', async () => (await agent.driver.list()).length === 1);
    const unsupported = await sample({ vmUid: uid, vmName: 'web', seconds: 1 }).catch((e: ServiceError) => e);
    expect((unsupported as ServiceError).code).toBe(status.FAILED_PRECONDITION);
    expect(hvsErrorFromServiceError(unsupported)).toMatchObject({ code: 'HVS-LIBVIRT-UNSUPPORTED', message: 'node node-1 cannot measure a dirty rate', why: expect.stringMatching(/test driver/) });
    const missing = await sample({ vmName: 'nope', seconds: 1 }).catch((e: ServiceError) => e);
    expect((missing as ServiceError).code).toBe(status.NOT_FOUND);
    expect(hvsErrorFromServiceError(missing)).toMatchObject({ code: 'HVS-AGENT-VM-NOT-FOUND' });
  });
});
