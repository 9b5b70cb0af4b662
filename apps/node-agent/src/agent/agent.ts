import { release } from 'node:os';
import type { Server } from '@grpc/grpc-js';
import pino, { type DestinationStream, type Logger } from 'pino';
import { domainName, HvsError, uidOfDomain, type ConsoleEndpoint, type VmEventType } from '@hvs/domain';
import type { agentv1, v1 } from '@hvs/proto';
import { ReconcilerRunner, SystemClock, type Clock, type TimerHandle } from '@hvs/reconcile';
import { AddressWatch } from '../addresses/address-watch';
import { withInterfaces } from '../addresses/merge-interfaces';
import { CloudInitSeeds } from '../cloud-init/cloud-init-seeds';
import type { AgentConfig } from '../config/config';
import { chooseHypervisor, type ChoiceProbes, type HypervisorChoice } from '../config/hypervisor-choice';
import { consoleEndpoint } from '../console/console-endpoint';
import { diagnose, type Check } from '../diagnose/diagnose';
import { DomainReconciler, type Prerequisite } from '../domains/domain-reconciler';
import type { HostRenderFacts } from '../domains/render-facts';
import { gateStarts, grpcPeerChecker, SelfFencing, type PeerChecker, type PeerStatus } from '../fencing';
import { startAgentServer, stopServer, type AgentApi } from '../grpc/agent-server';
import type { AssignInput } from '../grpc/assign-request';
import { readIpv4Routes } from '../observed/host-routes';
import { toWireHostFacts } from '../grpc/host-facts';
import { ControllerLink, grpcNodeService, type NodeServiceCalls } from '../heartbeat/controller-link';
import { grpcImageSource, ImageCache, type UploadedImageSource } from '../images';
import { confinementOf, LibvirtDriver, type Confinement, type DomainEvent, type HypervisorDriver } from '../hypervisor';
import { AgentMetrics } from '../metrics/agent-metrics';
import { MetricsServer } from '../metrics/metrics-server';
import { Departures } from '../migration/departures';
import { sampleDirtyRate } from '../migration/dirty-rate-handler';
import { MigrateHandler, type MigrateOrder, type MigrateReport } from '../migration/migrate-handler';
import { HostNetworkDriver, NetworkReconciler, networkPrerequisite, SimulatedNetworkDriver, type NetworkDriver } from '../network';
import type { HostReport } from '../observed/host-report';
import { ObservedState, type SequencedChange } from '../observed/observed-state';
import { AssignmentStore } from '../state/assignment-store';
import { networksDir } from '../state/network-files';
import { VolumeSet } from '../storage';
import { ClusterIdentity } from './cluster-identity';

export const AGENT_VERSION = '0.1.0';

export interface AgentDeps {
  /** A driver owned by the caller (not closed by stop()); default: LibvirtDriver on the chosen URI. */
  driver?: HypervisorDriver;
  clock?: Clock;
  /** Skip the auto probe (tests). */
  choice?: HypervisorChoice;
  probes?: ChoiceProbes;
  nodeService?: NodeServiceCalls;
  logDestination?: DestinationStream;
  /** PeerCheck client for self-fencing (default: grpc-js). */
  peerChecker?: PeerChecker;
  /** Default: simulated on libvirt's test driver, else the host's ip/bridge/dnsmasq/nft. */
  networkDriver?: NetworkDriver;
  /** Uploaded images (default: ImageService.Download on the controller, with the node identity). */
  uploadedImages?: UploadedImageSource;
  /** DNS for image URL downloads (tests). */
  imageResolve?: ImageCacheResolve;
}

type ImageCacheResolve = NonNullable<ConstructorParameters<typeof ImageCache>[0]['resolve']>;

/** Events that can move a managed domain away from desired; `defined` is our own doing. */
const ENQUEUE_ON: ReadonlySet<DomainEvent['type']> = new Set(['started', 'stopped', 'shutdown', 'crashed', 'undefined', 'suspended', 'resumed', 'pmsuspended']);
const EVENT_TYPE: Partial<Record<DomainEvent['type'], VmEventType>> = { started: 'Started', stopped: 'Stopped', crashed: 'Crashed' };

/**
 * The node agent: a plain composition root (no framework). start() loads the persisted
 * assignment, picks the hypervisor, adopts existing `hvs-*` domains, starts the reconcilers,
 * the gRPC server, /metrics and (when a controller is configured) the heartbeat. stop() undoes
 * it in reverse order and leaves every VM running as it is. It answers the gRPC layer in
 * domain terms (AgentApi); grpc/ converts to and from the wire.
 */
export class Agent implements AgentApi {
  readonly store: AssignmentStore;
  readonly observed = new ObservedState();
  readonly metrics = new AgentMetrics();
  readonly log: Logger;
  readonly clock: Clock;
  readonly volumes: VolumeSet;
  /** The verified image cache (images/); built in start() (it needs the node identity). */
  images!: ImageCache;
  choice!: HypervisorChoice;
  driver!: HypervisorDriver;
  runner!: ReconcilerRunner<string>;
  reconciler!: DomainReconciler;
  /** Realises the assigned Networks on this host (network/). */
  networks!: NetworkReconciler;
  migrations!: MigrateHandler;
  readonly departures: Departures;
  link: ControllerLink | undefined;
  /** This host's cluster identity (mTLS, renewal); undefined in standalone mode (no controller). */
  identity: ClusterIdentity | undefined;
  /** Self-fencing (docs/ha.md); only with a controller configured. */
  fencing: SelfFencing | undefined;
  address = '';
  metricsAddress: string | undefined;
  /**
   * What a stopped VM needs before it is defined and started (network realised, image verified,
   * cloud-init seed built), checked in this order; filled in start() before the reconciler exists.
   */
  readonly prerequisites: Prerequisite[] = [];
  /** Guest addresses (reservation, DHCP lease, qemu-guest-agent) into each VM's observation. */
  addresses!: AddressWatch;
  private server: Server | undefined;
  private readonly metricsServer = new MetricsServer(this.metrics);
  private events: AsyncIterator<DomainEvent> | undefined;
  private resyncTimer: TimerHandle | undefined;
  private host: HostReport | undefined;
  private stopped = false;

  constructor(readonly config: AgentConfig, private readonly deps: AgentDeps = {}) {
    this.clock = deps.clock ?? new SystemClock();
    this.log = pino({ level: config.logLevel, base: { component: 'node-agent', node: config.nodeName }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (l) => ({ level: l }) } },
      deps.logDestination ?? pino.destination({ dest: 1, sync: true }));
    this.store = new AssignmentStore(config.stateDir, config.nodeName);
    this.departures = new Departures(config.stateDir);
    this.volumes = new VolumeSet(config.pools, config.imagesDir, (op, ms, ok) => this.metrics.onLibvirtCall(op, ms, ok));
  }

  async start(): Promise<void> {
    // First: joining (or finding the identity) decides whether this agent may start at all.
    this.identity = await ClusterIdentity.establish(this.config, this.log);
    await this.store.load();
    await this.departures.load();
    await this.volumes.prepare();
    this.choice = this.deps.choice ?? (await chooseHypervisor(this.config, this.deps.probes));
    this.log.info({ mode: this.choice.mode, uri: this.choice.uri, domainType: this.choice.domainType }, `hypervisor mode ${this.choice.mode} on ${this.choice.uri}: ${this.choice.reason}`);
    this.driver = this.deps.driver ?? new LibvirtDriver({
      uri: this.choice.uri, clock: this.clock, onCall: (op, ms, ok) => this.metrics.onLibvirtCall(op, ms, ok),
      // Test mode: our own calls synthesise their events and nothing else can change the
      // in-process test driver, so the list-diff poll only backs them up (1 s would cost ~3 %
      // of a core with 50 VMs).
      ...(this.choice.mode === 'test' ? { eventPollMs: 10_000 } : { domainType: this.choice.domainType }),
    });
    await this.refreshFacts();
    const confinement = this.confinement();
    this.log[confinement.confined ? 'info' : 'warn']({ confined: confinement.confined, model: confinement.model ?? null }, confinement.summary);
    if (this.config.controller) this.fencing = await this.startFencing();
    this.networks = new NetworkReconciler({
      driver: this.deps.networkDriver ?? (this.choice.mode === 'test' ? new SimulatedNetworkDriver() : new HostNetworkDriver({ stateDir: this.config.stateDir })),
      store: this.store, observed: this.observed, stateDir: this.config.stateDir, log: this.log, onReady: () => this.requeueVms(),
    });
    // First of the prerequisites: a VM's NICs need their bridges before anything else matters.
    this.prerequisites.push(networkPrerequisite(this.observed));
    this.images = new ImageCache({
      dir: this.config.imagesDir, needs: this.store, observed: this.observed, clock: this.clock, log: this.log,
      concurrency: this.config.imageDownloads, rehashMs: this.config.imageRehashMs, onSettled: () => this.requeueVms(),
      ...(this.deps.imageResolve ? { resolve: this.deps.imageResolve } : {}),
      ...(this.deps.uploadedImages ? { uploaded: this.deps.uploadedImages }
        : this.config.controller ? { uploaded: grpcImageSource(this.config.controller, () => this.identity?.controllerTls()) } : {}),
    });
    await this.images.start();
    this.volumes.useImages(() => this.images.localImages());
    // After the networks, before the cloud-init seed: a VM is defined only from verified images.
    this.prerequisites.push(this.images.prerequisite);
    this.addresses = new AddressWatch({
      store: this.store, observed: this.observed, driver: this.driver, clock: this.clock, networksDir: networksDir(this.config.stateDir), log: this.log,
    });
    // Last of the prerequisites: network-config needs the NIC bindings, and the seed is built
    // only once nothing else keeps the VM waiting.
    const seeds = new CloudInitSeeds({ store: this.store, volumes: this.volumes, stateDir: this.config.stateDir, log: this.log });
    this.prerequisites.push(seeds.prerequisite);
    this.reconciler = new DomainReconciler({
      driver: this.fencing ? gateStarts(this.driver, (d) => this.startRefusal(d)) : this.driver, store: this.store, observed: this.observed, volumes: this.volumes, clock: this.clock,
      nodeName: this.config.nodeName, domainType: this.choice.domainType, shutdownTimeoutMs: this.config.shutdownTimeoutMs, diskPolicy: this.config.diskPolicy,
      held: (uid) => this.departures.held(uid), released: (uid) => this.departures.forget(uid),
      securityModel: () => this.confinement().model,
      prerequisites: this.prerequisites, restartNotes: [seeds.restartNote],
      interfaces: (uid) => this.addresses.interfaces(uid),
    });
    this.migrations = new MigrateHandler({
      driver: this.driver, store: this.store, volumes: this.volumes, observed: this.observed, departures: this.departures, clock: this.clock,
      nodeName: this.config.nodeName, idle: (uid) => this.reconciler.idle(uid), requeue: (uid) => this.runner.enqueue(uid), log: this.log,
    });
    this.runner = new ReconcilerRunner<string>((uid) => this.reconciler.reconcileDomain(uid), {
      name: 'domain', workers: this.config.workers, clock: this.clock, backoff: { baseMs: 500, factor: 2, maxMs: 60_000 },
      hooks: {
        onResult: (_uid, outcome, ms) => this.metrics.onReconcile(outcome, ms),
        onError: (uid, e, retryInMs) => this.log.warn({ uid, code: (e as HvsError).code, retryInMs }, `reconcile of ${domainName(uid)} failed: ${String(e)}`),
        onTerminal: (uid, e) => this.log.error({ uid, reason: e.reason }, `reconcile of ${domainName(uid)} stopped until the VM changes: ${String(e.cause ?? e)}`),
      },
    });
    this.metrics.attach({
      observed: this.observed, stats: (d) => this.driver.stats(d),
      info: { node: this.config.nodeName, mode: this.choice.mode, uri: this.choice.uri, version: AGENT_VERSION },
    });
    this.pumpEvents();
    // Networks first (adopting what exists), so VMs that use them need not wait a recheck.
    await this.reconcileNetworks();
    await this.resync();
    this.runner.start();
    this.addresses.start();
    this.scheduleResync();
    const { server, address } = await startAgentServer(this, this.config.listen, this.log,
      this.identity && { credentials: this.identity.serverCredentials(), caPem: () => this.identity!.caPem, nodeName: this.config.nodeName });
    this.server = server;
    this.address = address;
    if (this.config.metricsListen) this.metricsAddress = await this.metricsServer.listen(this.config.metricsListen);
    if (this.config.controller) {
      const calls = this.deps.nodeService ?? grpcNodeService(this.config.controller, this.identity?.controllerTls());
      this.link = new ControllerLink({
        nodeName: this.config.nodeName, advertise: this.config.advertise, intervalMs: this.config.heartbeatIntervalMs, clock: this.clock,
        calls, facts: async () => this.hostFactsProto(),
        observedGeneration: () => this.store.generation, log: this.log,
      });
      this.link.start();
      this.identity?.startRenewal(this.clock, this.log, undefined, () => calls.reconnect?.());
      this.fencing?.start();
    }
    this.log.info({ listen: this.address, metrics: this.metricsAddress, controller: this.config.controller ?? null, vms: this.store.desiredVms().length, generation: this.store.generation }, 'node agent started');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
    this.identity?.stopRenewal();
    await this.link?.stop();
    await this.fencing?.stop();
    if (this.server) await stopServer(this.server);
    await this.metricsServer.close();
    this.addresses?.stop();
    await this.runner?.stop({ graceMs: 5000 });
    this.images?.stop();
    await this.networks?.settled();
    await this.events?.return?.();
    this.observed.close();
    if (!this.deps.driver) await this.driver?.close();
    this.log.flush?.();
  }

  /** A prerequisite became true (a network realised, an image verified): look at every VM again. */
  requeueVms(): void {
    for (const uid of this.store.uids()) this.runner?.enqueue(uid);
  }

  /** Lists domains: adopts ours (enqueue), reports the rest as unmanaged, enqueues every owned uid. */
  async resync(): Promise<void> {
    const owned = new Set(this.store.uids());
    try {
      const domains = await this.driver.list();
      this.observed.setUnmanaged(domains.filter((d) => !owned.has(uidOfDomain(d.name) ?? '')).map((d) => d.name));
    } catch (e) {
      this.log.warn({ code: (e as HvsError).code }, `listing domains failed: ${String(e)}`);
    }
    for (const uid of owned) this.runner.enqueue(uid);
  }

  // ---- AgentApi (the gRPC handlers delegate here, in domain terms) ----

  get nodeName(): string {
    return this.config.nodeName;
  }

  async renderFacts(): Promise<HostRenderFacts> {
    return this.reconciler.hostFacts(await this.volumes.images());
  }

  async assign({ assignment, peers, fenceAfterMs }: AssignInput): Promise<{ observedGeneration: number; removingUids: string[] }> {
    const { removed, unchanged } = await this.store.replace(assignment);
    await this.fencing?.assigned({ fencingToken: assignment.fencingToken, peers, fenceAfterMs });
    if (!unchanged) {
      this.log.info({ generation: assignment.generation, fencingToken: assignment.fencingToken, vms: assignment.vms.length, removed: removed.length }, 'assignment accepted');
      for (const vm of assignment.vms) {
        const uid = vm.metadata.uid as string;
        if (!this.observed.get(uid)) {
          // With its reservations from the first report on (addresses/: no I/O).
          this.observed.set(withInterfaces({
            name: vm.metadata.name, uid, phase: 'Pending', reason: 'Assigned', message: 'waiting for the reconciler', ips: [], node: this.config.nodeName,
            observedGeneration: 0, pendingRestart: [],
          }, this.addresses.interfaces(uid)));
        }
      }
    }
    this.images?.sync();
    if (!unchanged) void this.reconcileNetworks();
    for (const uid of this.store.uids()) this.runner.enqueue(uid);
    return { observedGeneration: this.store.generation, removingUids: this.store.removingUids() };
  }

  watch(): AsyncIterable<SequencedChange> & { close(): Promise<void> } {
    return this.observed.watch(() => ({ host: this.host, observedGeneration: this.store.generation, fencingToken: this.store.fencingToken }));
  }

  migrate(order: MigrateOrder): AsyncIterable<MigrateReport> {
    return this.migrations.migrate(order);
  }

  abortMigration(req: { vmUid: string; migration: string; fencingToken: number }): Promise<{ jobAborted: boolean }> {
    return this.migrations.abort(req);
  }

  sampleDirtyRate(req: { vmUid: string; vmName: string; seconds: number }): Promise<{ bytesPerSecond: number; periodSeconds: number; mode: string }> {
    return sampleDirtyRate(this.driver, this.store, this.config.nodeName, req);
  }

  heartbeat(): agentv1.HeartbeatResponse {
    return {
      node: this.config.nodeName, observedGeneration: this.store.generation, fencingToken: this.store.fencingToken, nowUnixMs: Date.now(),
      lastContactMs: this.link?.lastContactMs() ?? -1, fenced: this.fencing?.fenced ?? false, vmsRunning: this.observed.countByPhase().Running,
    };
  }

  async consoleInfo(req: { vmUid: string; vmName: string }): Promise<ConsoleEndpoint> {
    const uid = req.vmUid || this.store.desiredVms().find((v) => v.metadata.name === req.vmName)?.metadata.uid;
    if (!uid) {
      throw new HvsError({ code: 'HVS-AGENT-VM-NOT-FOUND', category: 'NotFound', message: `VM ${req.vmName || '(no name)'} is not assigned to node ${this.config.nodeName}`, why: 'ConsoleInfo needs vm_uid or the name of an assigned VM', fix: 'check the VM\'s node with `hvctl get vm`' });
    }
    return consoleEndpoint(this.driver, domainName(uid), this.config.nodeName);
  }

  async diagnose(): Promise<{ checks: Check[]; host: HostReport | undefined }> {
    await this.refreshFacts().catch(() => undefined);
    const checks = await diagnose({
      driver: this.driver, choice: this.choice, stateDir: this.config.stateDir, pools: this.config.pools,
      unownedVolumes: () => this.volumes.unowned(this.store.uids()), confinement: this.confinement(), networks: this.observed.networks(),
      ...(this.config.controller ? { controller: { address: this.config.controller, lastContactMs: this.link?.lastContactMs() ?? -1, ...(this.link?.error ? { error: this.link.error } : {}) } } : {}),
    });
    return { checks, host: this.host };
  }

  peerCheck(): PeerStatus {
    return { controllerReachable: this.link?.reachable() ?? false, lastContactMs: this.link?.lastContactMs() ?? -1, node: this.config.nodeName };
  }

  private async startFencing(): Promise<SelfFencing> {
    const fencing = new SelfFencing({
      nodeName: this.config.nodeName, stateDir: this.config.stateDir, clock: this.clock, log: this.log,
      msSinceContact: () => this.link?.lastContactMs() ?? -1,
      peerChecker: this.deps.peerChecker ?? grpcPeerChecker(this.identity ? (peer) => this.identity!.peerTls(peer) : undefined),
      haVms: () => this.store.desiredVms().filter((v) => v.spec.ha?.restartPolicy === 'Always')
        .map((v) => ({ name: v.metadata.name, uid: v.metadata.uid as string, domain: domainName(v.metadata.uid as string) })),
      destroy: async (domain) => {
        if ((await this.driver.get(domain)) !== undefined) await this.driver.destroy(domain).catch(async (e: unknown) => {
          if ((await this.driver.get(domain))?.state === 'running') throw e;
        });
      },
      fencingToken: () => this.store.fencingToken,
      onFenced: (vm, message) => this.observed.event({ name: vm.name, uid: vm.uid, type: 'Fenced', reason: 'Fenced', message }, this.clock.now()),
    });
    await fencing.load();
    return fencing;
  }

  private startRefusal(domain: string): Error | undefined {
    const vm = this.store.desired(uidOfDomain(domain) ?? '');
    return this.fencing?.startRefusal({ name: vm?.metadata.name ?? domain, ha: vm?.spec.ha?.restartPolicy === 'Always' });
  }

  /** The host facts as RegisterNode sends them (ControllerLink is a gRPC client: wire type). */
  async hostFactsProto(): Promise<v1.HostFacts> {
    await this.refreshFacts();
    return toWireHostFacts(this.host as HostReport, this.config.nodeName);
  }

  /** Whether libvirt confines this host's VMs (sVirt), from the last host facts. */
  confinement(): Confinement {
    return confinementOf(this.host?.facts.security, this.choice.mode);
  }

  private async refreshFacts(): Promise<void> {
    const next: HostReport = {
      facts: await this.driver.hostFacts(), pools: await this.volumes.usage(), agentVersion: AGENT_VERSION, kernel: release(),
      // Only a real host has routes that matter; the test driver's simulated node reports none.
      ...(this.choice.mode === 'test' ? {} : { ipv4Routes: await readIpv4Routes() }),
    };
    const changed = this.host !== undefined && JSON.stringify(this.host) !== JSON.stringify(next);
    this.host = next;
    if (changed) this.observed.hostFacts(next);
  }

  /** One network pass; a failure is logged (each Network's own failure is in its report). */
  private async reconcileNetworks(): Promise<void> {
    await this.networks.reconcile().catch((e: unknown) => this.log.warn({ code: (e as HvsError).code }, `network reconcile failed: ${String(e)}`));
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      void Promise.all([this.reconcileNetworks(), this.resync(), this.refreshFacts().catch(() => undefined)]).finally(() => this.scheduleResync());
    }, this.config.resyncMs);
  }

  private pumpEvents(): void {
    const it = this.driver.events()[Symbol.asyncIterator]();
    this.events = it;
    void (async () => {
      for (;;) {
        const { value: ev, done } = await it.next();
        if (done) return;
        this.onDomainEvent(ev);
      }
    })().catch((e: unknown) => this.log.warn({ err: e }, 'domain event stream ended'));
  }

  private onDomainEvent(ev: DomainEvent): void {
    const uid = uidOfDomain(ev.name);
    const owned = uid !== undefined && (this.store.desired(uid) !== undefined || this.store.isRemoving(uid));
    if (!owned) {
      if (ev.type === 'undefined') this.observed.deleteUnmanaged(ev.name);
      else if (ev.type === 'defined') this.observed.addUnmanaged(ev.name);
      return;
    }
    const type = EVENT_TYPE[ev.type];
    if (type !== undefined && (ev.source !== 'synthetic' || ev.type === 'crashed')) {
      // Our own calls publish their events in the reconciler; these are the guest's or an operator's doing.
      this.observed.event({ name: this.store.desired(uid)?.metadata.name ?? ev.name, uid, type, reason: ev.detail, message: `${ev.type} (${ev.detail}) seen by ${ev.source}` }, ev.at);
    }
    if (ENQUEUE_ON.has(ev.type)) this.runner.enqueue(uid);
  }
}

export function createAgent(config: AgentConfig, deps: AgentDeps = {}): Agent {
  return new Agent(config, deps);
}
