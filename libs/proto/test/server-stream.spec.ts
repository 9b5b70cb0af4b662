// serveGrpcStream over real grpc-js on loopback: a client that stops reading holds the source
// back (the pump pulls nothing while the transport is full), a cancelled call closes the source,
// and a failure mid-stream reaches the client as a coded error (status + trailer, or the
// stream's own error message).
import { credentials, Server, ServerCredentials, status, type ClientReadableStream, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import { hvsErrorFromServiceError, serveGrpcStream, ServerStreams, toProtoObject, v1, type StreamSource } from '@hvs/proto';
import { SAMPLES } from './samples';

const VM = SAMPLES[0]!;

/** Resolves when `probe` holds; polls each event-loop turn for at most `ms` (a deadline, not a sleep). */
async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The value of `read` once it stayed the same for `turns` event-loop turns in a row (deadline 10 s). */
async function settled(what: string, read: () => number, turns = 100): Promise<number> {
  const deadline = Date.now() + 10_000;
  let last = read();
  let same = 0;
  while (same < turns) {
    if (Date.now() > deadline) throw new Error(`${what} never settled (last ${last})`);
    await new Promise((r) => setImmediate(r));
    const now = read();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

/** An endless source counting what was pulled from it and whether it was closed. */
function endless(failAfter?: number) {
  const state = { pulled: 0, closed: false };
  // A big message fills the HTTP/2 window (64 KiB) with a few of them.
  const big = { ...VM, metadata: { ...VM.metadata, annotations: { note: 'x'.repeat(16_384) } } };
  const source: StreamSource<v1.WatchEvent> = {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          if (failAfter !== undefined && state.pulled === failAfter) {
            throw new HvsError({ code: 'HVS-TEST-BROKE', category: 'Unavailable', message: 'the source broke', why: 'the test said so', fix: 'none' });
          }
          state.pulled++;
          yield { type: v1.WatchEventType.MODIFIED, object: toProtoObject(big), resourceVersion: String(state.pulled) };
        }
      } finally {
        state.closed = true;
      }
    },
  };
  return { state, source };
}

let server: Server;
let client: v1.ResourceServiceClient;
const streams = new ServerStreams();
let next: { source: StreamSource<v1.WatchEvent>; errorMessage?: boolean; openError?: unknown };

beforeAll(async () => {
  server = new Server();
  server.addService(v1.ResourceServiceService, {
    watch: (call: ServerWritableStream<v1.WatchRequest, v1.WatchEvent>) => void serveGrpcStream(call, () => {
      if (next.openError) throw next.openError;
      return next.source;
    }, {
      tracking: { streams, method: 'Watch' },
      ...(next.errorMessage ? { errorMessage: (err: HvsError) => ({ type: v1.WatchEventType.ERROR, resourceVersion: '', error: { code: err.code, category: err.category, message: err.message, why: '', fix: err.fix, path: '', problems: [] } }) } : {}),
    }),
  } as unknown as v1.ResourceServiceServer);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  client = new v1.ResourceServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
});
afterAll(() => {
  client?.close();
  server?.forceShutdown();
});
beforeEach(() => streams.resetPeaks());

function open(): ClientReadableStream<v1.WatchEvent> {
  return client.watch({ kind: 'vm', labelSelector: '', resourceVersion: '', bookmarkIntervalMs: 0 });
}

describe('serveGrpcStream over real grpc-js', () => {
  it('pulls nothing more from the source while a client that stopped reading leaves the transport full', async () => {
    const { state, source } = endless();
    next = { source };
    const stream = open();
    let received = 0;
    stream.on('data', () => received++);
    stream.on('error', () => undefined);
    stream.pause();
    try {
      // An endless source without back-pressure never settles: the pump would pull forever.
      const stalledAt = await settled('the items pulled while the client does not read', () => state.pulled);
      // Bounded: the transport's high-water mark (16) plus what the HTTP/2 window and the paused client hold.
      expect(streams.peaks('Watch').transport).toBeLessThanOrEqual(16);
      expect(stalledAt).toBeLessThan(64);
      stream.resume();
      await until('more items once the client reads again', () => received > stalledAt + 10);
    } finally {
      stream.cancel();
    }
    await until('the source to be closed after the cancel', () => state.closed);
    await until('no stream left open', () => streams.open === 0);
  });

  it('a client cancelling while the server waits for the next item closes the source', async () => {
    let closed = false;
    let wake: (() => void) | undefined;
    next = {
      source: {
        async *[Symbol.asyncIterator]() {
          yield { type: v1.WatchEventType.ADDED, object: toProtoObject(VM), resourceVersion: '1' };
          await new Promise<void>((r) => (wake = r));
        },
        close() {
          closed = true;
          wake?.();
        },
      },
    };
    const stream = open();
    stream.on('error', () => undefined);
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.cancel();
    await until('close() on the source', () => closed);
    await until('no stream left open', () => streams.open === 0);
  });

  it('a failure mid-stream ends the call with the HvsError as status and trailer, after the items before it', async () => {
    next = { source: endless(3).source };
    const got: v1.WatchEvent[] = [];
    const err = await new Promise<ServiceError>((resolve, reject) => {
      const stream = open();
      stream.on('data', (m: v1.WatchEvent) => got.push(m));
      stream.on('error', resolve);
      stream.on('end', () => reject(new Error('the stream ended without an error')));
    });
    expect(got).toHaveLength(3);
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(hvsErrorFromServiceError(err)).toMatchObject({ code: 'HVS-TEST-BROKE', category: 'Unavailable' });
  });

  it('with an error message, a failure mid-stream is the last message and the call ends OK', async () => {
    next = { source: endless(2).source, errorMessage: true };
    const got: v1.WatchEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = open();
      stream.on('data', (m: v1.WatchEvent) => got.push(m));
      stream.on('error', reject);
      stream.on('end', resolve);
    });
    expect(got.map((m) => m.type)).toEqual([v1.WatchEventType.MODIFIED, v1.WatchEventType.MODIFIED, v1.WatchEventType.ERROR]);
    expect(got[2]!.error).toMatchObject({ code: 'HVS-TEST-BROKE', category: 'Unavailable' });
  });

  it('a throw while opening ends the call with its status before any message', async () => {
    next = {
      source: endless().source,
      openError: new HvsError({ code: 'HVS-TEST-BAD-KIND', category: 'InvalidArgument', message: 'no such kind', why: 'the test said so', fix: 'none' }),
    };
    const err = await new Promise<ServiceError>((resolve, reject) => {
      const stream = open();
      stream.on('data', () => reject(new Error('a message arrived')));
      stream.on('error', resolve);
    });
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(hvsErrorFromServiceError(err).code).toBe('HVS-TEST-BAD-KIND');
  });
});
