/**
 * The controller's gRPC server: one grpc-js Server owned by a Nest provider (not Nest's
 * microservice transport: ADR 0003), serving hvs.v1 ResourceService, VmService, NodeService,
 * AuditService, EventService, IdentityService, AdminService and ImageService, gRPC health checking (grpc.health.v1, every service SERVING while up) and
 * server reflection (descriptors loaded from libs/proto's .proto files). Binds on
 * ControllerConfig.grpcListen when the app boots (port 0: a free port, read `port`), goes
 * NOT_SERVING and shuts down (graceful, then forced after a grace period) with the app. Served
 * with TLS from the cluster CA (docs/security.md); the chain it presents carries the CA.
 */
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Server, type ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HvsError } from '@hvs/domain';
import { PROTO_FILES, PROTO_ROOT, v1 } from '@hvs/proto';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HealthImplementation } from 'grpc-health-check';
import { formatListen, type ListenAddress } from '../../config';
import type { GrpcEdge } from './grpc-call';
import { guardService } from './message-guard';

/** Accepts manifests up to the API's 1 MiB plus envelope; bigger messages are refused by grpc-js itself. */
export const GRPC_MAX_RECEIVE_BYTES = 4 * 1024 * 1024;
export const GRPC_SHUTDOWN_GRACE_MS = 5_000;

export interface GrpcServices {
  resource: v1.ResourceServiceServer;
  vm: v1.VmServiceServer;
  node: v1.NodeServiceServer;
  audit: v1.AuditServiceServer;
  events: v1.EventServiceServer;
  identity: v1.IdentityServiceServer;
  admin: v1.AdminServiceServer;
  image: v1.ImageServiceServer;
}

export const SERVED_SERVICES = ['hvs.v1.ResourceService', 'hvs.v1.VmService', 'hvs.v1.NodeService', 'hvs.v1.AuditService', 'hvs.v1.EventService', 'hvs.v1.IdentityService', 'hvs.v1.AdminService', 'hvs.v1.ImageService'] as const;

export class GrpcApiServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly server = new Server({ 'grpc.max_receive_message_length': GRPC_MAX_RECEIVE_BYTES });
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', ...Object.fromEntries(SERVED_SERVICES.map((s) => [s, 'NOT_SERVING'])) });
  private boundPort: number | undefined;

  /** `credentials`: TLS from the cluster CA (ClusterPki.serverCredentials). */
  constructor(private readonly listen: ListenAddress, services: GrpcServices, private readonly edge: GrpcEdge, private readonly credentials: ServerCredentials) {
    // Guarded: a request that does not parse gets a coded INVALID_ARGUMENT, not grpc-js's bare INTERNAL.
    const add = (def: ServiceDefinition, impl: UntypedServiceImplementation) => this.server.addService(...guardService(def, impl));
    add(v1.ResourceServiceService as unknown as ServiceDefinition, services.resource);
    add(v1.VmServiceService as unknown as ServiceDefinition, services.vm);
    add(v1.NodeServiceService as unknown as ServiceDefinition, services.node);
    add(v1.AuditServiceService as unknown as ServiceDefinition, services.audit);
    add(v1.EventServiceService as unknown as ServiceDefinition, services.events);
    add(v1.IdentityServiceService as unknown as ServiceDefinition, services.identity);
    add(v1.AdminServiceService as unknown as ServiceDefinition, services.admin);
    add(v1.ImageServiceService as unknown as ServiceDefinition, services.image);
    this.health.addToServer(this.server);
    new ReflectionService(publicApiDescriptors()).addToServer(this.server);
  }

  /** The bound port (after bootstrap). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('the gRPC server is not bound yet');
    return this.boundPort;
  }

  get address(): string {
    return formatListen({ host: this.listen.host, port: this.port });
  }

  async onApplicationBootstrap(): Promise<void> {
    const target = formatListen(this.listen);
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(target, this.credentials, (err, port) => (err ? reject(listenFailed(target, err)) : resolve(port)));
    });
    refuseUntrustedClientCertificates(this.server);
    for (const s of ['', ...SERVED_SERVICES]) this.health.setStatus(s, 'SERVING');
    this.edge.log.info({ grpc: this.address }, 'gRPC API listening');
  }

  async onApplicationShutdown(): Promise<void> {
    for (const s of ['', ...SERVED_SERVICES]) this.health.setStatus(s, 'NOT_SERVING');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, GRPC_SHUTDOWN_GRACE_MS);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * A client certificate is optional on this port (tokens, joining agents), so TLS lets one that
 * does not verify through, and grpc-js then hands the call no certificate at all: the caller
 * would look anonymous. Such a connection is closed at once instead (the client sees
 * UNAVAILABLE): a certificate of another CA is refused, never treated as no certificate.
 * grpc-js keeps its HTTP/2 servers private; test/identity/python-client.medium.spec.ts fails if
 * this stops reaching them.
 */
const EXPIRY_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

function refuseUntrustedClientCertificates(server: Server): void {
  const servers = (server as unknown as { http2Servers?: Map<{ on(ev: 'secureConnection', fn: (s: TLSSocket) => void): void }, unknown> }).http2Servers;
  for (const h2 of servers?.keys() ?? []) {
    h2.on('secureConnection', (socket) => {
      if (socket.authorized || (socket.getPeerCertificate()?.raw?.length ?? 0) === 0) return;
      // Our own certificate, only out of its validity: let it through as no certificate, so an
      // expired host can still Join again with a token (everything else needs a credential).
      if (EXPIRY_ERRORS.has(String(socket.authorizationError))) return;
      socket.destroy();
    });
  }
}

/** Descriptors of the hvs.v1 files (the agent API is served by agents, not here). */
export function publicApiDescriptors(): ReturnType<typeof loadSync> {
  const files = PROTO_FILES.filter((f) => f.startsWith('hvs/v1/')).map((f) => path.join(PROTO_ROOT, f));
  return loadSync(files, { includeDirs: [PROTO_ROOT], keepCase: true });
}

function listenFailed(target: string, err: Error): HvsError {
  return new HvsError({
    code: 'HVS-CONTROLLER-LISTEN-FAILED', category: 'FailedPrecondition',
    message: `cannot listen for gRPC on ${target}`,
    why: err.message,
    fix: 'stop the other process (`ss -ltnp`) or set HVS_GRPC_LISTEN to a free address, e.g. HVS_GRPC_LISTEN=127.0.0.1:7444',
    cause: err,
  });
}
