/**
 * A whole controller (createApp: REST + gRPC + services) on free ports against a real etcd,
 * with generated hvs.v1 clients and promise wrappers. `close()` stops everything it started.
 */
import * as fs from 'node:fs';
import { checkServerIdentity } from 'node:tls';
import { credentials, Metadata, type ChannelCredentials, type ChannelOptions, type Client, type ServiceError } from '@grpc/grpc-js';
import type { INestApplication } from '@nestjs/common';
import { parseManifests } from '@hvs/domain';
import { v1 } from '@hvs/proto';
import { GrpcApiServer } from '../../src/api/grpc';
import { createApp, listeningAddress } from '../../src/app';
import { servesTls } from '../../src/config';
import { ClusterPki, clientCredentials, CONTROLLER_SERVER_NAME, serverNameOptions } from '../../src/pki';
import { OBJECT_STORE } from '../../src/services/tokens';
import { BootstrapAdmin, bootstrapFiles, type Role } from '../../src/identity';
import { IdentityService } from '../../src/services/identity.service';
import { systemContext } from '../../src/services/call-context';
import type { ObjectStore } from '../../src/store';
import { makeCsr } from '../pki/fixtures';
import { seedLan } from '../services/manifests';
import { baseUrl, capturedLogger, testConfig } from '../app/fixtures';
import { restFetch, type RestInit, type RestResponse } from './rest-fetch';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';

export interface ControllerUnderTest {
  app: INestApplication;
  /** The controller's data dir (the bootstrap admin's certificate is in <dataDir>/pki). */
  dataDir: string;
  /** An admin API token (`Authorization: Bearer`), for REST. */
  token: string;
  /** fetch with the admin token (REST needs a bearer token on every /api/v1 route). */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** A token of a new API identity with this role (and scope). */
  tokenFor(name: string, role: Role, scope?: string): Promise<string>;
  /** gRPC channel credentials: TLS trusting the cluster CA, and the bearer token on every call. */
  bearerCreds(token: string): ChannelCredentials;
  /** The REST base, `http(s)://127.0.0.1:<port>/api/v1` (https when the config serves TLS). */
  http: string;
  /** One REST call to `http + path` as the admin token, trusting the cluster CA (rest-fetch.ts; `init` may override both). */
  rest(path: string, init?: RestInit): Promise<RestResponse>;
  grpc: string;
  resources: v1.ResourceServiceClient;
  vms: v1.VmServiceClient;
  nodes: v1.NodeServiceClient;
  audit: v1.AuditServiceClient;
  /** TLS verifying the controller against the cluster CA, with the bootstrap admin's client certificate. */
  creds: ChannelCredentials;
  /** TLS verifying the controller, no credential at all (an anonymous caller). */
  anonymousCreds: ChannelCredentials;
  /** The channel options every client of `grpc` needs (the TLS server name; Node 26 refuses the IP). */
  options: ChannelOptions;
  pki: ClusterPki;
  /** A NodeService client holding a certificate for `node`, joined as an agent joins (token, CSR, Join: the Node exists after). */
  nodeClient(node: string): Promise<v1.NodeServiceClient>;
  /** A NodeService client presenting this certificate and key (closed with the controller). */
  nodeClientWith(certPem: string, keyPem: string): v1.NodeServiceClient;
  /** A node joined for real (its certificate on record, as revocation requires). */
  joinNode(node: string): Promise<{ certPem: string; keyPem: string }>;
  /** The controller's own object store (status writes as a controller loop makes them). */
  store: ObjectStore;
  /** Every line the controller logged (at HVS_LOG_LEVEL, default warn), as JSON text. */
  logText(): string;
  close(): Promise<void>;
}

/** Seeds the Network `lan` that vmYaml's NIC names (VM references are checked at apply). */
export async function seedNetwork(ctl: ControllerUnderTest): Promise<void> {
  await seedLan(ctl.app.get<ObjectStore>(OBJECT_STORE));
}

/** Binds an applied VM to `node` as the scheduler would (so its clean-up finalizer is not idle). */
export async function bindVm(ctl: ControllerUnderTest, name: string, node: string): Promise<void> {
  const store = ctl.app.get<ObjectStore>(OBJECT_STORE);
  const vm = await store.get('VirtualMachine', name);
  await store.updateStatus({ ...vm, status: { node, phase: 'Scheduled' } });
}

/**
 * Operator TLS: trusts only the cluster CA and checks the controller's name, not the dialled
 * address; with `dataDir`, presents the bootstrap admin's client certificate from it.
 */
export function operatorCredentials(caPem: string, dataDir?: string): ChannelCredentials {
  const admin = dataDir ? bootstrapFiles(dataDir) : undefined;
  return credentials.createSsl(Buffer.from(caPem), admin ? fs.readFileSync(admin.keyFile) : null, admin ? fs.readFileSync(admin.certFile) : null,
    { checkServerIdentity: (_h, cert) => checkServerIdentity(CONTROLLER_SERVER_NAME, cert) });
}

/** TLS trusting the cluster CA plus `authorization: Bearer <token>` on every call. */
export function bearerCredentials(caPem: string, token: string): ChannelCredentials {
  const perCall = credentials.createFromMetadataGenerator((_p, cb) => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    cb(null, md);
  });
  return credentials.combineChannelCredentials(operatorCredentials(caPem), perCall);
}

/** `env` adds or overrides settings (e.g. HVS_HTTP_LISTEN=0.0.0.0:0 for TLS); the ports stay free ones. */
export async function startController(etcdEndpoint: string, env: Record<string, string> = {}): Promise<ControllerUnderTest> {
  const t = testConfig({ HVS_ETCD_ENDPOINTS: etcdEndpoint, HVS_LOG_LEVEL: 'warn', ...env });
  let app: INestApplication | undefined;
  const log = capturedLogger(t.config.logLevel);
  try {
    app = await createApp(t.config, { logger: log.logger });
  } catch (e) {
    t.cleanup();
    throw e;
  }
  const grpc = `127.0.0.1:${app.get(GrpcApiServer).port}`;
  const pki = app.get(ClusterPki);
  await app.get(BootstrapAdmin).recorded;
  const creds = operatorCredentials(pki.ca.certificatePem, t.config.dataDir);
  const identity = app.get(IdentityService);
  const tokenFor = async (name: string, role: Role, scope?: string) => (await identity.createToken({ name, role, scope }, systemContext('test'))).secret;
  const token = await tokenFor('tester', 'admin');
  const options = serverNameOptions(CONTROLLER_SERVER_NAME);
  const clients: Client[] = [];
  const keep = <C extends Client>(c: C): C => (clients.push(c), c);
  /** Joins `node` as an agent does (token, CSR, Join): its certificate is then on record. */
  const joinNode = async (node: string) => {
    const operator = keep(new v1.NodeServiceClient(grpc, creds, options));
    const t = await call(operator, operator.createJoinToken, { ttlSeconds: 600, nodeName: node, replace: false, uses: 0 });
    const { csrPem, keyPem } = await makeCsr(`CN=node:${node}`);
    const res = await call(operator, operator.join, { token: t.token, nodeName: node, csrPem, address: '127.0.0.1:7450' });
    return { certPem: res.certificatePem, keyPem };
  };
  const nodeClientWith = (certPem: string, keyPem: string) =>
    keep(new v1.NodeServiceClient(grpc, clientCredentials(pki.ca.certificatePem, certPem, keyPem, { expectedServerName: CONTROLLER_SERVER_NAME }), options));
  const port = listeningAddress(app).port;
  const http = `${servesTls(t.config) ? `https://127.0.0.1:${port}` : baseUrl(port)}/api/v1`;
  return {
    app, grpc, http, token, tokenFor, dataDir: t.config.dataDir,
    rest: (path, init = {}) => restFetch(`${http}${path}`, { ca: pki.ca.certificatePem, ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } }),
    fetch: (url, init = {}) => fetch(url, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) } }),
    bearerCreds: (tk) => bearerCredentials(pki.ca.certificatePem, tk),
    anonymousCreds: operatorCredentials(pki.ca.certificatePem),
    resources: keep(new v1.ResourceServiceClient(grpc, creds, options)),
    vms: keep(new v1.VmServiceClient(grpc, creds, options)),
    nodes: keep(new v1.NodeServiceClient(grpc, creds, options)),
    audit: keep(new v1.AuditServiceClient(grpc, creds, options)),
    creds, options, pki, store: app.get<ObjectStore>(OBJECT_STORE),
    logText: () => log.lines().map((l) => JSON.stringify(l)).join('\n'),
    async nodeClient(node: string) {
      const id = await joinNode(node);
      return nodeClientWith(id.certPem, id.keyPem);
    },
    joinNode,
    nodeClientWith,
    async close() {
      for (const c of clients) c.close();
      await app?.close();
      t.cleanup();
    },
  };
}

type Unary<Req, Res> = (req: Req, md: Metadata, opts: { deadline: Date }, cb: (e: ServiceError | null, r: Res) => void) => unknown;

/** One unary call with a 20 s deadline (a hung server fails the test instead of hanging it). */
export function call<Req, Res>(client: Client, method: Unary<Req, Res>, req: Req): Promise<Res> {
  const md = new Metadata();
  return new Promise((resolve, reject) => {
    method.call(client, req, md, { deadline: new Date(Date.now() + 20_000) }, (e, r) => (e ? reject(e) : resolve(r)));
  });
}

/** The rejection of `p` (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
}

/** YAML text -> gRPC documents (what hvctl sends): one JSON document each, with index and line. */
export function documents(yamlText: string, source = 'lab.yaml'): v1.Document[] {
  const parsed = parseManifests(yamlText, source);
  if (!parsed.ok) throw new Error(`test manifest does not parse: ${parsed.problems.map((p) => p.message).join('; ')}`);
  return parsed.documents.map((d) => ({ manifestJson: JSON.stringify(d.doc), source, index: d.index - 1, line: d.line }));
}

/**
 * An etcd and a controller for the whole spec file: started in beforeAll, stopped in afterAll
 * (registered where this is called, so before the file's own hooks). The answer stands for the
 * running controller once beforeAll has run.
 */
export function controllerForFile(env: Record<string, string> = {}): ControllerUnderTest {
  let etcd: EtcdInstance | undefined;
  let ctl: ControllerUnderTest | undefined;
  beforeAll(async () => {
    etcd = await startEtcd();
    ctl = await startController(etcd.endpoint, env);
  });
  afterAll(async () => {
    await ctl?.close();
    await etcd?.stop();
  });
  return new Proxy({} as ControllerUnderTest, {
    get: (_target, key) => {
      if (ctl === undefined) throw new Error('controllerForFile: the controller starts in beforeAll; use it inside tests and hooks');
      return Reflect.get(ctl, key);
    },
  });
}
