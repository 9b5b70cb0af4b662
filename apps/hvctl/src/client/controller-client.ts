/**
 * Promise face of the generated hvs.v1 gRPC clients. Guarantees: every unary call carries a
 * deadline (the request timeout, plus the server-side wait when the call waits); every
 * failure is an HvsError: the server's own (all problems, from the hvs-error-bin trailer),
 * or HVS-CLI-CONTROLLER-UNREACHABLE / HVS-CLI-CONTROLLER-TIMEOUT for transport failures.
 */
import * as fs from 'node:fs';
import { checkServerIdentity } from 'node:tls';
import { credentials as grpcCredentials, Metadata, status, type CallOptions, type ChannelCredentials, type ChannelOptions, type ClientReadableStream, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import type { HvsError } from '@hvs/domain';
import { ERROR_TRAILER, hvsErrorFromServiceError, v1 } from '@hvs/proto';
import { cliError } from '../errors';
import type { Context } from '../config/contexts';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

type Unary<Req, Res> = (req: Req, md: Metadata, opts: Partial<CallOptions>, cb: (e: ServiceError | null, r: Res) => void) => ClientUnaryCall;

export type VmAction = 'start' | 'stop' | 'restart';

export class ControllerClient {
  private readonly resources: v1.ResourceServiceClient;
  private readonly vms: v1.VmServiceClient;
  private readonly nodes: v1.NodeServiceClient;
  private readonly audits: v1.AuditServiceClient;
  private readonly eventsClient: v1.EventServiceClient;
  private readonly identity: v1.IdentityServiceClient;
  private readonly admin: v1.AdminServiceClient;
  private readonly images: v1.ImageServiceClient;

  constructor(readonly context: Context, readonly requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS) {
    const creds = channelCredentials(context);
    const address = context.controller;
    // TLS names the server by its certificate name (SNI and the identity check), never the dialled
    // address: an IP as SNI is against RFC 6066 and made Node print DEP0123 on every call.
    const options: ChannelOptions = context.credentials.type === 'tls' ? { 'grpc.ssl_target_name_override': context.credentials.serverName ?? CONTROLLER_SERVER_NAME } : {};
    this.resources = new v1.ResourceServiceClient(address, creds, options);
    this.vms = new v1.VmServiceClient(address, creds, options);
    this.nodes = new v1.NodeServiceClient(address, creds, options);
    this.audits = new v1.AuditServiceClient(address, creds, options);
    this.eventsClient = new v1.EventServiceClient(address, creds, options);
    this.identity = new v1.IdentityServiceClient(address, creds, options);
    this.admin = new v1.AdminServiceClient(address, creds, options);
    this.images = new v1.ImageServiceClient(address, creds, options);
  }

  get address(): string {
    return this.context.controller;
  }

  apply(req: v1.ApplyRequest): Promise<v1.ApplyResponse> {
    return this.unary(this.resources.apply.bind(this.resources) as Unary<v1.ApplyRequest, v1.ApplyResponse>, req);
  }

  plan(req: v1.PlanRequest): Promise<v1.PlanResponse> {
    return this.unary(this.resources.plan.bind(this.resources) as Unary<v1.PlanRequest, v1.PlanResponse>, req);
  }

  /** `reveal`: Secret values and VM cloud-init in plain text (needs secrets.reveal; audited). */
  get(kind: string, name: string, reveal = false): Promise<v1.ApiObject> {
    return this.unary(this.resources.get.bind(this.resources) as Unary<v1.GetRequest, v1.ApiObject>, { kind, name, reveal });
  }

  /** Every page of a List, concatenated. */
  async list(kind: string, labelSelector = ''): Promise<v1.ListResponse> {
    const items: v1.ApiObject[] = [];
    let continueToken = '';
    let resourceVersion = '';
    do {
      const page = await this.unary(this.resources.list.bind(this.resources) as Unary<v1.ListRequest, v1.ListResponse>,
        { kind, labelSelector, limit: 500, continueToken });
      items.push(...page.items);
      resourceVersion = page.resourceVersion;
      continueToken = page.continueToken;
    } while (continueToken !== '');
    return { items, resourceVersion, continueToken: '' };
  }

  watch(req: v1.WatchRequest, signal?: AbortSignal): AsyncIterable<v1.WatchEvent> {
    return this.stream(() => this.resources.watch(req, this.metadata()), signal);
  }

  delete(req: v1.DeleteRequest): Promise<v1.DeleteResponse> {
    return this.unary(this.resources.delete.bind(this.resources) as Unary<v1.DeleteRequest, v1.DeleteResponse>, req, req.wait ? req.waitTimeoutMs : 0);
  }

  vmAction(action: VmAction, req: v1.VmActionRequest): Promise<v1.VmActionResponse> {
    const fn = this.vms[action].bind(this.vms) as Unary<v1.VmActionRequest, v1.VmActionResponse>;
    return this.unary(fn, req, req.wait ? req.waitTimeoutMs : 0);
  }

  /** Creates the Migration (or only estimates, with dryRun). */
  migrateVm(req: v1.MigrateVmRequest): Promise<v1.MigrateVmResponse> {
    return this.unary(this.vms.migrate.bind(this.vms) as Unary<v1.MigrateVmRequest, v1.MigrateVmResponse>, req);
  }

  /** Sets spec.cancel on the VM's (or the named) Migration; it then ends Failed/Cancelled unless it completes first. */
  cancelMigration(req: v1.CancelMigrationRequest): Promise<v1.CancelMigrationResponse> {
    return this.unary(this.vms.cancelMigration.bind(this.vms) as Unary<v1.CancelMigrationRequest, v1.CancelMigrationResponse>, req);
  }

  /** The drain plan, then (execute) per-VM progress and a summary; no deadline (it runs as long as the moves). */
  drain(req: v1.DrainRequest, signal?: AbortSignal): AsyncIterable<v1.DrainEvent> {
    return this.stream(() => this.nodes.drain(req, this.metadata()), signal);
  }

  cordon(name: string, on: boolean): Promise<v1.ApiObject> {
    const fn = (on ? this.nodes.cordon : this.nodes.uncordon).bind(this.nodes) as Unary<v1.NodeNameRequest, v1.ApiObject>;
    return this.unary(fn, { name });
  }

  /** The token in the answer is a secret: print it once, never log it. */
  createJoinToken(req: v1.CreateJoinTokenRequest): Promise<v1.CreateJoinTokenResponse> {
    return this.unary(this.nodes.createJoinToken.bind(this.nodes) as Unary<v1.CreateJoinTokenRequest, v1.CreateJoinTokenResponse>, req);
  }

  listJoinTokens(): Promise<v1.ListJoinTokensResponse> {
    return this.unary(this.nodes.listJoinTokens.bind(this.nodes) as Unary<v1.ListJoinTokensRequest, v1.ListJoinTokensResponse>, {});
  }

  revokeJoinToken(id: string): Promise<v1.RevokeJoinTokenResponse> {
    return this.unary(this.nodes.revokeJoinToken.bind(this.nodes) as Unary<v1.RevokeJoinTokenRequest, v1.RevokeJoinTokenResponse>, { id });
  }

  listCertificates(): Promise<v1.ListCertificatesResponse> {
    return this.unary(this.nodes.listCertificates.bind(this.nodes) as Unary<v1.ListCertificatesRequest, v1.ListCertificatesResponse>, {});
  }

  /** The controller asks the node's agent (operators cannot call agents directly); up to 10 s more. */
  diagnoseNode(name: string): Promise<v1.NodeDiagnosis> {
    return this.unary(this.nodes.diagnoseNode.bind(this.nodes) as Unary<v1.NodeNameRequest, v1.NodeDiagnosis>, { name }, 10_000);
  }

  clusterStatus(): Promise<v1.ClusterStatusResponse> {
    return this.unary(this.nodes.clusterStatus.bind(this.nodes) as Unary<v1.ClusterStatusRequest, v1.ClusterStatusResponse>, {});
  }

  /** Re-encrypts every secret under a new key; `waitMs` on top of the request timeout (many secrets take a while). */
  rotateEncryptionKey(waitMs: number): Promise<v1.RotateEncryptionKeyResponse> {
    return this.unary(this.admin.rotateEncryptionKey.bind(this.admin) as Unary<v1.RotateEncryptionKeyRequest, v1.RotateEncryptionKeyResponse>, {}, waitMs);
  }

  audit(req: v1.AuditListRequest): Promise<v1.AuditListResponse> {
    return this.unary(this.audits.list.bind(this.audits) as Unary<v1.AuditListRequest, v1.AuditListResponse>, req);
  }

  events(req: v1.EventListRequest): Promise<v1.EventListResponse> {
    return this.unary(this.eventsClient.list.bind(this.eventsClient) as Unary<v1.EventListRequest, v1.EventListResponse>, req);
  }

  watchEvents(req: v1.EventWatchRequest, signal?: AbortSignal): AsyncIterable<v1.Event> {
    return this.stream(() => this.eventsClient.watch(req, this.metadata()), signal);
  }

  /** Signs the CSR of a new (or, with renew, an existing) user; the answer holds its certificate and the cluster CA. */
  createUser(req: v1.CreateUserRequest): Promise<v1.CreateUserResponse> {
    return this.unary(this.identity.createUser.bind(this.identity) as Unary<v1.CreateUserRequest, v1.CreateUserResponse>, req);
  }

  listUsers(): Promise<v1.ListUsersResponse> {
    return this.unary(this.identity.listUsers.bind(this.identity) as Unary<v1.ListUsersRequest, v1.ListUsersResponse>, {});
  }

  deleteUser(name: string): Promise<v1.DeleteUserResponse> {
    return this.unary(this.identity.deleteUser.bind(this.identity) as Unary<v1.DeleteUserRequest, v1.DeleteUserResponse>, { name });
  }

  /** The secret in the answer exists nowhere else: print or store it once, never log it. */
  createToken(req: v1.CreateTokenRequest): Promise<v1.CreateTokenResponse> {
    return this.unary(this.identity.createToken.bind(this.identity) as Unary<v1.CreateTokenRequest, v1.CreateTokenResponse>, req);
  }

  listTokens(): Promise<v1.ListTokensResponse> {
    return this.unary(this.identity.listTokens.bind(this.identity) as Unary<v1.ListTokensRequest, v1.ListTokensResponse>, {});
  }

  revokeToken(id: string): Promise<v1.RevokeTokenResponse> {
    return this.unary(this.identity.revokeToken.bind(this.identity) as Unary<v1.RevokeTokenRequest, v1.RevokeTokenResponse>, { id });
  }

  whoAmI(): Promise<v1.WhoAmIResponse> {
    return this.unary(this.identity.whoAmI.bind(this.identity) as Unary<v1.WhoAmIRequest, v1.WhoAmIResponse>, {});
  }

  canI(req: v1.CanIRequest): Promise<v1.CanIResponse> {
    return this.unary(this.identity.canI.bind(this.identity) as Unary<v1.CanIRequest, v1.CanIResponse>, req);
  }

  /**
   * Streams `data` to ImageService/Upload after the header. No deadline (a large image takes as
   * long as it takes); back-pressure from the transport paces the reads. An early answer (a
   * refusal) ends the upload at once with that error.
   */
  async uploadImage(header: v1.ImageUploadHeader, data: AsyncIterable<Buffer>): Promise<v1.ImageUploadResponse> {
    let call: ReturnType<v1.ImageServiceClient['upload']> | undefined;
    let finished = false;
    const answer = new Promise<v1.ImageUploadResponse>((resolve, reject) => {
      call = this.images.upload(this.metadata(), {}, (err: ServiceError | null, res?: v1.ImageUploadResponse) => {
        finished = true;
        if (err) reject(this.translate(err));
        else resolve(res!);
      });
    });
    const send = async () => {
      const c = call!;
      c.write({ part: { $case: 'header', value: header } });
      for await (const chunk of data) {
        if (finished) return;
        if (!c.write({ part: { $case: 'data', value: chunk } })) await new Promise<void>((r) => c.once('drain', r).once('close', r));
      }
      c.end();
    };
    const sent = send().catch((e: unknown) => {
      call?.cancel();
      throw e;
    });
    const [res] = await Promise.all([answer, sent.then(() => undefined)]);
    return res;
  }

  close(): void {
    for (const c of [this.resources, this.vms, this.nodes, this.audits, this.eventsClient, this.identity, this.admin, this.images]) c.close();
  }

  private metadata(): Metadata {
    const md = new Metadata();
    const creds = this.context.credentials;
    if (creds.type === 'token') {
      let token: string;
      try {
        token = fs.readFileSync(creds.tokenFile, 'utf8').trim();
      } catch (e) {
        throw cliError('HVS-CLI-TOKEN-UNREADABLE', `cannot read the token file of context "${this.context.name}"`,
          `check the file named by tokenFile (${creds.tokenFile}) exists and is readable`, (e as Error).message);
      }
      md.set('authorization', `Bearer ${token}`);
    }
    return md;
  }

  private unary<Req, Res>(fn: Unary<Req, Res>, req: Req, extraMs = 0): Promise<Res> {
    const deadline = Date.now() + this.requestTimeoutMs + Math.max(0, extraMs);
    return new Promise((resolve, reject) => {
      fn(req, this.metadata(), { deadline }, (err, res) => (err ? reject(this.translate(err)) : resolve(res)));
    });
  }

  private stream<T>(open: () => ClientReadableStream<T>, signal?: AbortSignal): AsyncIterable<T> {
    const translate = (e: unknown) => this.translate(e);
    return {
      async *[Symbol.asyncIterator]() {
        const call = open();
        const onAbort = () => call.cancel();
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          for await (const item of call as AsyncIterable<T>) yield item;
        } catch (e) {
          if ((e as ServiceError).code === status.CANCELLED && signal?.aborted) return;
          throw translate(e);
        } finally {
          signal?.removeEventListener('abort', onAbort);
          call.cancel();
        }
      },
    };
  }

  /** Transport failures (no hvs-error-bin trailer) get an hvctl-level explanation. */
  translate(e: unknown): HvsError {
    const se = e as Partial<ServiceError>;
    const hasTrailer = se?.metadata instanceof Metadata && se.metadata.get(ERROR_TRAILER).length > 0;
    if (!hasTrailer && se?.code === status.UNAVAILABLE) return unreachable(this.address, causeOf(se));
    if (!hasTrailer && se?.code === status.DEADLINE_EXCEEDED) {
      return cliError('HVS-CLI-CONTROLLER-TIMEOUT', `the controller at ${this.address} did not answer within the deadline`,
        'retry with a longer --request-timeout (e.g. 30s), or check `hvctl status`', causeOf(se), 'DeadlineExceeded');
    }
    return hvsErrorFromServiceError(e);
  }
}

export function unreachable(address: string, cause: string): HvsError {
  return cliError('HVS-CLI-CONTROLLER-UNREACHABLE', `cannot reach controller at ${address}: ${cause}`,
    'run `hvctl up` or check `hvctl status`', undefined, 'Unavailable');
}

/** The most telling part of grpc-js's text, e.g. `connect ECONNREFUSED 127.0.0.1:7443`. */
function causeOf(se: Partial<ServiceError>): string {
  const text = (se.details || se.message || 'no answer').toString();
  const m = /(connect [A-Z]+ [^\s)]+|getaddrinfo [A-Z]+ [^\s)]+|[A-Z]{4,}[A-Z_]*:? [^\n)]*)/.exec(text);
  return (m ? m[1]! : text).trim().replace(/[.;,]+$/, '');
}

/** Must equal `CONTROLLER_SERVER_NAME` in libs/pki/src/names.ts: the name every controller certificate carries. */
export const CONTROLLER_SERVER_NAME = 'controller.hvs';

/**
 * TLS trusts only the context's CA file (the cluster CA) and checks the server's certificate
 * for `serverName` (default controller.hvs, which only the controller's certificate carries),
 * so the dialled address (an IP, a tunnel) does not need to be in the certificate.
 */
function channelCredentials(ctx: Context): ChannelCredentials {
  const c = ctx.credentials;
  // insecure: only for test doubles; the controller itself speaks TLS only, so a real one refuses the handshake.
  if (c.type !== 'tls') return grpcCredentials.createInsecure();
  try {
    const read = (f?: string) => (f ? fs.readFileSync(f) : null);
    const serverName = c.serverName ?? CONTROLLER_SERVER_NAME;
    const tls = grpcCredentials.createSsl(read(c.caFile), read(c.keyFile), read(c.certFile), { checkServerIdentity: (_host, cert) => checkServerIdentity(serverName, cert) });
    if (c.tokenFile === undefined) return tls;
    const tokenFile = c.tokenFile;
    // Read at each call, so a rotated token file is picked up; the token never reaches argv or logs.
    return grpcCredentials.combineChannelCredentials(tls, grpcCredentials.createFromMetadataGenerator((_p, cb) => {
      try {
        const md = new Metadata();
        md.set('authorization', `Bearer ${fs.readFileSync(tokenFile, 'utf8').trim()}`);
        cb(null, md);
      } catch (e) {
        cb(cliError('HVS-CLI-TOKEN-FILE-UNREADABLE', `cannot read the token file of context "${ctx.name}"`, 'check tokenFile in the context (hvctl config get-contexts) points at a readable file holding the token', (e as Error).message));
      }
    }));
  } catch (e) {
    throw cliError('HVS-CLI-TLS-FILES-UNREADABLE', `cannot read the TLS files of context "${ctx.name}"`,
      'check caFile, certFile and keyFile in the context (hvctl config get-contexts) point at readable PEM files', (e as Error).message);
  }
}
