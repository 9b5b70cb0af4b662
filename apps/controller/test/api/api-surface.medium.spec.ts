/**
 * What surrounds the API: gRPC health and reflection, the OpenAPI document covering every
 * REST route, and an etcd outage answered with UNAVAILABLE / 503 (HVS-STORE-UNAVAILABLE)
 * within the store deadline instead of a hang.
 */
import * as path from 'node:path';
import { loadPackageDefinition, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { hvsErrorFromServiceError } from '@hvs/proto';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { OPENAPI_DOCUMENT, REST_CONTROLLERS } from '../../src/api/rest';
import { vmYaml } from '../services/manifests';
import { call, documents, seedNetwork, rejection, startController, type ControllerUnderTest } from './controller-under-test';

jest.setTimeout(60_000);

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
const clients: Client[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
  await seedNetwork(ctl);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await ctl?.close();
  await etcd?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function grpcClient(protoFile: string, includeDir: string, ctor: string): any {
  const def = loadPackageDefinition(loadSync(protoFile, { includeDirs: [includeDir], keepCase: true, enums: String }));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Ctor = ctor.split('.').reduce((o: any, k) => o[k], def);
  const c = new Ctor(ctl.grpc, ctl.creds, ctl.options);
  clients.push(c);
  return c;
}

describe('gRPC health and reflection', () => {
  it('reports SERVING for the server and each hvs.v1 service', async () => {
    const proto = path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
    const health = grpcClient(proto, path.dirname(proto), 'grpc.health.v1.Health');
    for (const service of ['', 'hvs.v1.ResourceService', 'hvs.v1.AuditService']) {
      const r = await new Promise<{ status: string }>((resolve, reject) =>
        health.Check({ service }, { deadline: new Date(Date.now() + 10_000) }, (e: ServiceError | null, res: { status: string }) => (e ? reject(e) : resolve(res))));
      expect(r.status).toBe('SERVING');
    }
  });

  it('reflection lists the hvs.v1 services', async () => {
    const dir = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto');
    const reflection = grpcClient(path.join(dir, 'grpc/reflection/v1/reflection.proto'), dir, 'grpc.reflection.v1.ServerReflection');
    const names = await new Promise<string[]>((resolve, reject) => {
      const stream = reflection.ServerReflectionInfo({ deadline: new Date(Date.now() + 10_000) });
      stream.on('data', (m: { list_services_response?: { service: { name: string }[] } }) => {
        resolve((m.list_services_response?.service ?? []).map((s) => s.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
    expect(names).toEqual(expect.arrayContaining(['hvs.v1.ResourceService', 'hvs.v1.VmService', 'hvs.v1.NodeService', 'hvs.v1.AuditService']));
  });
});

describe('OpenAPI document', () => {
  it('is served and describes every registered REST route (and no route that does not exist)', async () => {
    const registered: string[] = [];
    for (const controller of REST_CONTROLLERS) {
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '/').replace(/^\/|\/$/g, '');
      const proto = controller.prototype as unknown as Record<string, object>;
      for (const key of Object.getOwnPropertyNames(proto)) {
        const fn = proto[key]!;
        const sub = Reflect.getMetadata(PATH_METADATA, fn);
        if (key === 'constructor' || sub === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, fn) as RequestMethod].toLowerCase();
        const full = ['api/v1', base, String(sub).replace(/^\/|\/$/g, '')].filter((s) => s !== '').join('/');
        registered.push(`${method} /${full.replace(/:([A-Za-z]+)/g, '{$1}')}`);
      }
    }
    const documented = Object.entries(OPENAPI_DOCUMENT.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(registered.sort()).toEqual(documented.sort());
    const res = await ctl.fetch(`${ctl.http}/openapi.json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });
});

describe('an etcd outage', () => {
  it('answers UNAVAILABLE / 503 with HVS-STORE-UNAVAILABLE naming the endpoint, within the deadline', async () => {
    await etcd.stop();
    const e = await rejection(call(ctl.resources, ctl.resources.apply, { documents: documents(vmYaml('down-1')), dryRun: false, fieldManager: '', pruneSelector: '' }));
    expect(e.code).toBe(status.UNAVAILABLE);
    const err = hvsErrorFromServiceError(e);
    expect(err.code).toBe('HVS-STORE-UNAVAILABLE');
    expect(err.message).toBe(`etcd at ${etcd.endpoint} is not reachable`);
    expect(err.fix).toMatch(/hvctl diagnose/);
    const res = await ctl.fetch(`${ctl.http}/vm/web-1`, { signal: AbortSignal.timeout(20_000) });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'HVS-STORE-UNAVAILABLE', message: `etcd at ${etcd.endpoint} is not reachable` });
  });
});
