import { credentials, Metadata, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { agentv1 } from '@hvs/proto';

/** A typed promise wrapper over the generated Agent client, and a Watch collector. */
export function agentClient(address: string) {
  const c = new agentv1.AgentClient(address, credentials.createInsecure());
  const call = <Req, Res>(fn: (req: Req, md: never, opts: object, cb: (e: ServiceError | null, r: Res) => void) => unknown) =>
    (req: Req) => new Promise<Res>((resolve, reject) => fn.call(c, req, new Metadata() as never, { deadline: new Date(Date.now() + 15_000) }, (e, r) => (e ? reject(e) : resolve(r))));
  return {
    raw: c,
    assign: call<agentv1.AssignRequest, agentv1.AssignResponse>(c.assign as never),
    heartbeat: () => call<agentv1.HeartbeatRequest, agentv1.HeartbeatResponse>(c.heartbeat as never)({}),
    diagnose: () => call<agentv1.DiagnoseRequest, agentv1.DiagnoseResponse>(c.diagnose as never)({}),
    peerCheck: () => call<agentv1.PeerCheckRequest, agentv1.PeerCheckResponse>(c.peerCheck as never)({ fromNode: 'peer' }),
    consoleInfo: call<agentv1.ConsoleInfoRequest, unknown>(c.consoleInfo as never),
    snapshot: call<agentv1.SnapshotRequest, agentv1.SnapshotResponse>(c.snapshot as never),
    close: () => c.close(),
  };
}

/** Folds a Watch stream into the latest VmObserved per uid (snapshot first, then changes). */
export class WatchView {
  readonly vms = new Map<string, agentv1.VmObserved>();
  readonly events: agentv1.AgentEvent[] = [];
  snapshot: agentv1.Snapshot | undefined;
  error: ServiceError | undefined;
  readonly stream: ClientReadableStream<agentv1.AgentEvent>;

  constructor(client: agentv1.AgentClient) {
    this.stream = client.watch({ controllerId: 'test' });
    this.stream.on('data', (e: agentv1.AgentEvent) => {
      this.events.push(e);
      const ev = e.event;
      if (ev?.$case === 'snapshot') {
        this.snapshot = ev.value;
        this.vms.clear();
        for (const v of ev.value.vms) this.vms.set(v.uid, v);
      } else if (ev?.$case === 'vm') this.vms.set(ev.value.uid, ev.value);
      else if (ev?.$case === 'vmRemoved') this.vms.delete(ev.value.uid);
    });
    this.stream.on('error', (e: ServiceError) => {
      this.error = e;
    });
  }

  phases(): Record<string, string> {
    return Object.fromEntries([...this.vms.values()].map((v) => [v.name, v.phase]));
  }

  cancel(): void {
    this.stream.cancel();
  }
}
