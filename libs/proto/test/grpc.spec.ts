// End to end over real grpc-js on loopback: the generated service definition
// and client work for unary calls, server streams and errors whose
// hvs-error-bin trailer comes back as Problems.
import { credentials, Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import { fromProtoObject, problemsFromServiceError, toProtoObject, toServiceError, v1, hvsErrorFromServiceError } from '@hvs/proto';
import { SAMPLES } from './samples';

const VM = SAMPLES[0];
const CALL_MS = 5000;

function notFound(kind: string, name: string): HvsError {
  return new HvsError({ code: 'HVS-OBJECT-NOT-FOUND', category: 'NotFound', path: 'metadata.name',
    message: `${kind} "${name}" does not exist`, why: 'no object with that name is stored', fix: `list them: hvctl get ${kind}` });
}

const impl: Pick<v1.ResourceServiceServer, 'get' | 'watch'> = {
  get(call, callback) {
    const { kind, name } = call.request;
    if (name === 'boom') return callback(toServiceError(new Error('secret-token=abc123 in a driver error')));
    if (name === 'many-bad') {
      const problems = Array.from({ length: 300 }, (_, i) => ({ code: 'HVS-VM-SIZE-INVALID', path: `a.yaml#${i} spec.memory.size`,
        message: `"${i}GB" is not a size`, why: 'sizes use binary units', fix: 'write 4GiB' }));
      return callback(toServiceError(new HvsError({ ...problems[0], category: 'InvalidArgument', problems })));
    }
    if (kind !== VM.kind || name !== VM.metadata.name) return callback(toServiceError(notFound(kind, name)));
    callback(null, toProtoObject(VM));
  },
  watch(call) {
    if (call.request.resourceVersion === '1') {
      call.emit('error', toServiceError(new HvsError({ code: 'HVS-WATCH-GONE', category: 'Gone',
        message: 'resourceVersion 1 was compacted', why: 'etcd keeps a bounded history', fix: 'List again and watch from its resourceVersion' })));
      return;
    }
    const modified = { ...VM, metadata: { ...VM.metadata, resourceVersion: '1043' }, status: { phase: 'Stopped' } };
    call.write({ type: v1.WatchEventType.ADDED, object: toProtoObject(VM), resourceVersion: '1042' });
    call.write({ type: v1.WatchEventType.MODIFIED, object: toProtoObject(modified), resourceVersion: '1043' });
    call.write({ type: v1.WatchEventType.BOOKMARK, resourceVersion: '1050' });
    call.end();
  },
};

let server: Server;
let client: v1.ResourceServiceClient;

beforeAll(async () => {
  server = new Server();
  // Methods left out answer UNIMPLEMENTED (grpc-js default handler).
  server.addService(v1.ResourceServiceService, impl as v1.ResourceServiceServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  client = new v1.ResourceServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

const deadline = () => ({ deadline: Date.now() + CALL_MS });

function get(c: v1.ResourceServiceClient, req: v1.GetRequest): Promise<v1.ApiObject> {
  return new Promise((resolve, reject) => c.get(req, new Metadata(), deadline(), (err, res) => (err ? reject(err) : resolve(res))));
}

async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('ResourceService over real grpc-js', () => {
  it('unary Get returns the object, equal to the domain value after conversion', async () => {
    expect(fromProtoObject(await get(client, { kind: 'VirtualMachine', name: 'web-1' }))).toStrictEqual(VM);
  });

  it('an HvsError reaches the client as status + every problem from the hvs-error-bin trailer', async () => {
    const err = await failure(get(client, { kind: 'VirtualMachine', name: 'nope' }));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(problemsFromServiceError(err)).toStrictEqual(notFound('VirtualMachine', 'nope').problems);
    const rebuilt = hvsErrorFromServiceError(err);
    expect(rebuilt.category).toBe('NotFound');
    expect(rebuilt.fix).toBe('list them: hvctl get VirtualMachine');
  });

  it('300 problems arrive as a truncated list that says how many were left out', async () => {
    const problems = problemsFromServiceError(await failure(get(client, { kind: 'VirtualMachine', name: 'many-bad' })));
    expect(problems.length).toBeGreaterThan(10);
    expect(problems[problems.length - 1].code).toBe('HVS-API-PROBLEMS-TRUNCATED');
    expect(problems[0].path).toBe('a.yaml#0 spec.memory.size');
  });

  it('an unexpected server error is INTERNAL and its text stays on the server', async () => {
    const err = await failure(get(client, { kind: 'VirtualMachine', name: 'boom' }));
    expect(err.code).toBe(status.INTERNAL);
    expect(JSON.stringify({ d: err.details, p: problemsFromServiceError(err) })).not.toContain('abc123');
  });

  it('server-streaming Watch delivers events in order and ends', async () => {
    const events: v1.WatchEvent[] = [];
    for await (const ev of client.watch({ kind: 'VirtualMachine', labelSelector: '', resourceVersion: '', bookmarkIntervalMs: 0 }, deadline())) {
      events.push(ev as v1.WatchEvent);
    }
    expect(events.map((e) => e.type)).toEqual([v1.WatchEventType.ADDED, v1.WatchEventType.MODIFIED, v1.WatchEventType.BOOKMARK]);
    expect(events.map((e) => e.resourceVersion)).toEqual(['1042', '1043', '1050']);
    expect(fromProtoObject(events[1].object!).status).toEqual({ phase: 'Stopped' });
    expect(events[2].object).toBeUndefined();
  });

  it('a stream that fails carries its Problems too (Gone -> re-list)', async () => {
    const stream = client.watch({ kind: 'VirtualMachine', labelSelector: '', resourceVersion: '1', bookmarkIntervalMs: 0 }, deadline());
    const err = await failure((async () => { for await (const _ of stream) { /* none expected */ } })());
    expect(err.code).toBe(status.OUT_OF_RANGE);
    const e = hvsErrorFromServiceError(err);
    expect([e.code, e.category]).toEqual(['HVS-WATCH-GONE', 'Gone']);
  });

  it('a method the server does not implement reads as HVS-GRPC-UNIMPLEMENTED', async () => {
    const list = new Promise((resolve, reject) =>
      client.list({ kind: 'Node', labelSelector: '', limit: 0, continueToken: '' }, new Metadata(), deadline(), (err, res) => (err ? reject(err) : resolve(res))));
    expect(hvsErrorFromServiceError(await failure(list)).code).toBe('HVS-GRPC-UNIMPLEMENTED');
  });

  it('a request over the server\'s message limit reads as HVS-GRPC-RESOURCE-EXHAUSTED with the limit and a fix', async () => {
    const small = new Server({ 'grpc.max_receive_message_length': 1024 });
    small.addService(v1.ResourceServiceService, impl as v1.ResourceServiceServer);
    const port = await new Promise<number>((resolve, reject) =>
      small.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    const c = new v1.ResourceServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const e = hvsErrorFromServiceError(await failure(get(c, { kind: 'Node', name: 'n'.repeat(4096) })));
      expect([e.code, e.category]).toEqual(['HVS-GRPC-RESOURCE-EXHAUSTED', 'ResourceExhausted']);
      expect(e.message).toMatch(/larger than max/);
      expect(e.why).toMatch(/larger than the receiver accepts/);
      expect(e.fix).toMatch(/split the manifest/);
    } finally {
      c.close();
      small.forceShutdown();
    }
  });

  it('no server listening: UNAVAILABLE with a fix, not a hang', async () => {
    const gone = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      gone.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    await new Promise<void>((resolve) => gone.tryShutdown(() => resolve()));
    const c = new v1.ResourceServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const e = hvsErrorFromServiceError(await failure(get(c, { kind: 'Node', name: 'a' })));
      expect(e.category).toBe('Unavailable');
      expect(e.fix).toContain('hvctl diagnose');
    } finally {
      c.close();
    }
  });
});
