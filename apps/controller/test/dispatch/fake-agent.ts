/**
 * A tiny hvs.agent.v1 Agent server for dispatcher tests: a fake behind our own gRPC interface,
 * served by real grpc-js on a loopback port. It records every Assign, answers Watch with a
 * Snapshot of `reported` and then whatever the test pushes, and counts open Watch streams.
 */
import { Server, ServerCredentials, status, type ServerWritableStream } from '@grpc/grpc-js';
import { agentv1 } from '@hvs/proto';

export class FakeAgent {
  readonly assigns: agentv1.AssignRequest[] = [];
  /** VMs the Snapshot of every new Watch stream reports. */
  reported: agentv1.VmObserved[] = [];
  /** Uids every accepted Assign answers as still being cleaned up (removing_uids). */
  removing: string[] = [];
  /** Refuse every Assign with this problem when set. */
  refuse: string | undefined;
  watchCalls = 0;
  maxOpenStreams = 0;
  private readonly streams = new Set<ServerWritableStream<agentv1.WatchRequest, agentv1.AgentEvent>>();
  private readonly server = new Server();
  private sequence = 0;
  address = '';

  async listen(): Promise<string> {
    const unary = (_call: unknown, cb: (e: { code: status; details: string }) => void) => cb({ code: status.UNIMPLEMENTED, details: 'not in the fake' });
    const stream = (call: { destroy(e: Error): void }) => call.destroy(Object.assign(new Error('not in the fake'), { code: status.UNIMPLEMENTED }));
    const impl: agentv1.AgentServer = {
      assign: (call, cb) => {
        this.assigns.push(call.request);
        if (this.refuse) cb(null, { accepted: false, observedGeneration: 0, problems: [{ code: 'HVS-TEST-REFUSED', path: 'vms', message: this.refuse, why: '', fix: '' }], removingUids: [] });
        else cb(null, { accepted: true, observedGeneration: call.request.generation, problems: [], removingUids: [...this.removing] });
      },
      watch: (call) => {
        this.watchCalls++;
        this.streams.add(call);
        this.maxOpenStreams = Math.max(this.maxOpenStreams, this.streams.size);
        const gone = () => this.streams.delete(call);
        call.on('cancelled', gone);
        call.on('close', gone);
        call.write(this.event({ $case: 'snapshot', value: agentv1.Snapshot.fromPartial({ vms: this.reported }) }));
      },
      heartbeat: unary, migrate: stream, backup: stream, snapshot: unary, consoleInfo: unary, diagnose: unary, peerCheck: unary, sampleDirtyRate: unary,
      abortMigration: unary,
    };
    this.server.addService(agentv1.AgentService, impl);
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    this.address = `127.0.0.1:${port}`;
    return this.address;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Sends an observed VM on every open Watch stream. */
  observe(vm: Partial<agentv1.VmObserved>): void {
    const ev = this.event({ $case: 'vm', value: agentv1.VmObserved.fromPartial(vm) });
    for (const s of this.streams) s.write(ev);
  }

  /** Sends a VmEvent (started, crashed, reconcile error...) on every open Watch stream. */
  vmEvent(e: Partial<agentv1.VmEvent>): void {
    const ev = this.event({ $case: 'vmEvent', value: agentv1.VmEvent.fromPartial(e) });
    for (const s of this.streams) s.write(ev);
  }

  /** Sends this host's copy of an Image (download progress, verification) on every open Watch stream. */
  image(o: Partial<agentv1.ImageObserved>): void {
    const ev = this.event({ $case: 'image', value: agentv1.ImageObserved.fromPartial(o) });
    for (const s of this.streams) s.write(ev);
  }

  /** Sends a VmRemoved (cleanedUp: the agent finished its clean-up) on every open Watch stream. */
  removed(vm: Partial<agentv1.VmRemoved>): void {
    const ev = this.event({ $case: 'vmRemoved', value: agentv1.VmRemoved.fromPartial(vm) });
    for (const s of this.streams) s.write(ev);
  }

  /** Ends every open Watch stream from the agent side (as an agent restart would). */
  dropStreams(): void {
    for (const s of [...this.streams]) {
      this.streams.delete(s);
      s.end();
    }
  }

  stop(): Promise<void> {
    this.dropStreams();
    this.server.forceShutdown();
    return Promise.resolve();
  }

  private event(event: agentv1.AgentEvent['event']): agentv1.AgentEvent {
    return { sequence: ++this.sequence, event };
  }
}
