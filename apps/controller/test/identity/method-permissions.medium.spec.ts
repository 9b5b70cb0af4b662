/**
 * Every method of the public API declares its permission (METHOD_PERMISSIONS), and the running
 * controller enforces it: each method is called over real gRPC as an anonymous caller, as a
 * viewer, as an operator and as a node certificate, and must be refused exactly when the table
 * says so (UNAUTHENTICATED / PERMISSION_DENIED), whatever else the call would have done.
 */
import { Client, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { METHOD_PERMISSIONS } from '../../src/services/method-permissions';
import { clientCredentials, CONTROLLER_SERVER_NAME } from '../../src/pki';
import { controllerForFile } from '../api/controller-under-test';
import { expectedFor, METHODS, refused, sample, type MethodDef } from './api-methods';

jest.setTimeout(120_000);

const ctl = controllerForFile();
const clients: Client[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
});

/** The status one raw call ends with (OK = 0), whatever the method's message types. */
function callRaw(creds: ChannelCredentials, def: MethodDef, req: Record<string, unknown>): Promise<{ code: number; details: string }> {
  const client = new Client(ctl.grpc, creds, ctl.options);
  clients.push(client);
  const body = def.requestSerialize({ ...(def.requestDeserialize(Buffer.alloc(0)) as object), ...req });
  const pass = (b: Buffer) => b;
  const deadline = new Date(Date.now() + 10_000);
  return new Promise((resolve) => {
    const done = (e: ServiceError | null) => resolve({ code: e ? e.code : status.OK, details: e?.details ?? '' });
    if (def.requestStream) {
      const up = client.makeClientStreamRequest(def.path, pass, pass, new Metadata(), { deadline }, (e) => done(e));
      up.write(body);
      up.end();
      return;
    }
    if (!def.responseStream) {
      client.makeUnaryRequest(def.path, pass, pass, body, new Metadata(), { deadline }, (e) => done(e));
      return;
    }
    const stream = client.makeServerStreamRequest(def.path, pass, pass, body, new Metadata(), { deadline });
    let settled = false;
    const finish = (e: ServiceError | null) => {
      if (settled) return;
      settled = true;
      stream.cancel();
      done(e);
    };
    stream.on('data', () => finish(null));
    stream.on('error', (e: ServiceError) => finish(e.code === status.CANCELLED ? null : e));
    stream.on('end', () => finish(null));
    setTimeout(() => finish(null), 3_000).unref();
  });
}

describe('every API method declares and enforces its permission', () => {
  it('the table names every method of every hvs.v1 service, and nothing else', () => {
    expect(METHODS.map((m) => m.name).sort()).toEqual(Object.keys(METHOD_PERMISSIONS).sort());
  });

  it('anonymous callers are UNAUTHENTICATED everywhere but Join', async () => {
    const answers = await Promise.all(METHODS.map(async (m) => [m.name, (await callRaw(ctl.anonymousCreds, m.def, sample(m.name, 'n1'))).code] as const));
    for (const [name, code] of answers) {
      if (name === 'NodeService/Join') expect([name, code]).not.toEqual([name, status.UNAUTHENTICATED]);
      else expect([name, code]).toEqual([name, status.UNAUTHENTICATED]);
    }
  });

  it.each(['viewer', 'operator'] as const)('a %s is PERMISSION_DENIED exactly where its role lacks the permission', async (role) => {
    const creds = ctl.bearerCreds(await ctl.tokenFor(`perm-${role}`, role));
    for (const m of METHODS) {
      const { code } = await callRaw(creds, m.def, sample(m.name, 'n1'));
      if (expectedFor(role, m.name, false) === 'denied') expect([m.name, code]).toEqual([m.name, status.PERMISSION_DENIED]);
      else expect([m.name, refused(code)]).toEqual([m.name, false]);
    }
  });

  it('a node certificate may make only its own node-scoped calls', async () => {
    const id = await ctl.joinNode('n1');
    const creds = clientCredentials(ctl.pki.ca.certificatePem, id.certPem, id.keyPem, { expectedServerName: CONTROLLER_SERVER_NAME });
    for (const m of METHODS) {
      for (const about of ['n1', 'n2']) {
        const { code } = await callRaw(creds, m.def, sample(m.name, about));
        if (expectedFor('node', m.name, about === 'n1') === 'denied') expect([m.name, about, code]).toEqual([m.name, about, status.PERMISSION_DENIED]);
        else expect([m.name, about, refused(code)]).toEqual([m.name, about, false]);
      }
    }
  });
});
