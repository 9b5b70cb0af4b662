/**
 * Image status from the agents' reports (the dispatcher's onImageObserved): each node's copy in
 * status.nodes[] (phase, bytes, rate, ETA, verification, digests) and the overall phase:
 * Failed on a digest mismatch; Ready once the bytes were uploaded or a node verified its copy;
 * Downloading while a node downloads; Pending otherwise.
 *
 * Trust on first download (spec.allowUnverified, no digest in the spec): the first verified
 * digest a node reports is pinned in status.digest with status.pinned; from then on the Assign
 * tells every node that digest (assignment.ts). The pin is written with a compare on the version
 * read, so two nodes finishing together cannot both pin; it is announced by a Warning event and
 * an audit record.
 *
 * Progress arrives about twice a second per node: reports are merged in memory and written at
 * most once per `minIntervalMs` (default 1 s) per Image; the last report always gets written.
 * Writes compare on the version read and re-read after a conflict (as the VM status loop does).
 */
import type { Image, ImageNodeStatus, ImageStatus } from '@hvs/domain';
import type { Clock, TimerHandle } from '@hvs/reconcile';
import type { agentv1 } from '@hvs/proto';
import type { AuditEntry } from '../audit';
import type { EventSink } from '../events/event-recorder';
import { isHvsError } from '@hvs/domain';
import { isConflict } from '../store/errors';
import { deepEqual } from '../store/objects';
import type { ObjectStore } from '../store/types';
import { expectedDigest } from './assignment';

export const IMAGE_STATUS_MIN_INTERVAL_MS = 1_000;
const ATTEMPTS = 3;

export interface ImageStatusOptions {
  store: ObjectStore;
  /** The cached Image (the dispatcher's informer); a miss reads the store. */
  images?: { get(name: string): Image | undefined };
  clock: Clock;
  events?: EventSink;
  audit?: { append(entries: readonly AuditEntry[]): Promise<void> };
  minIntervalMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

interface Pending {
  reports: Map<string, agentv1.ImageObserved>;
  timer?: TimerHandle;
  lastWriteAt: number;
  writing?: Promise<void>;
}

/** One node's entry from its report (only the fields that say something). */
export function nodeEntry(node: string, o: agentv1.ImageObserved): ImageNodeStatus {
  const phase = (['Pending', 'Downloading', 'Ready', 'Failed'] as const).find((p) => p === o.phase) ?? 'Pending';
  const e: ImageNodeStatus = { node, phase, cached: phase === 'Ready', verified: o.verified };
  if (o.bytes > 0 || phase === 'Downloading') e.bytes = Math.round(o.bytes);
  if (o.totalBytes > 0) e.totalBytes = Math.round(o.totalBytes);
  if (phase === 'Downloading') {
    e.bytesPerSecond = Math.max(0, o.bytesPerSecond);
    if (o.etaSeconds > 0) e.etaSeconds = o.etaSeconds;
  }
  if (o.reason) e.reason = o.reason.slice(0, 64);
  if (o.message) e.message = o.message.slice(0, 1024);
  if (o.expectedDigest) e.expectedDigest = o.expectedDigest.slice(0, 160);
  if (o.actualDigest) e.actualDigest = o.actualDigest.slice(0, 160);
  return e;
}

function isMismatch(e: ImageNodeStatus): boolean {
  return e.reason === 'DigestMismatch' || (e.phase === 'Failed' && e.expectedDigest !== undefined && e.actualDigest !== undefined && e.expectedDigest !== e.actualDigest);
}

/** The overall phase from the node entries (see the file comment). */
export function overallPhase(status: ImageStatus, nodes: readonly ImageNodeStatus[]): NonNullable<ImageStatus['phase']> {
  if (nodes.some(isMismatch)) return 'Failed';
  if (status.uploaded || nodes.some((n) => n.phase === 'Ready' && n.verified)) return 'Ready';
  if (nodes.some((n) => n.phase === 'Downloading')) return 'Downloading';
  if (nodes.length > 0 && nodes.every((n) => n.phase === 'Failed')) return 'Failed';
  return 'Pending';
}

/** What the image pins, if these reports pin it now: allowUnverified, no digest in the spec, none pinned yet. */
export function pinFrom(image: Image, reports: ReadonlyMap<string, agentv1.ImageObserved>): { node: string; digest: string } | undefined {
  if (!image.spec.allowUnverified || image.spec.sha256 || image.spec.sha512 || image.status?.pinned) return undefined;
  for (const [node, o] of [...reports].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (o.phase === 'Ready' && o.verified && /^sha(256|512):[0-9a-f]+$/.test(o.digest)) return { node, digest: o.digest };
  }
  return undefined;
}

/** The new status of `image` with these node reports merged in (pure). */
export function mergedStatus(image: Image, reports: ReadonlyMap<string, agentv1.ImageObserved>, pin?: { digest: string }): ImageStatus {
  const status: ImageStatus = { ...(image.status ?? {}) };
  const byNode = new Map((status.nodes ?? []).map((n) => [n.node, n]));
  for (const [node, o] of reports) byNode.set(node, nodeEntry(node, o));
  const nodes = [...byNode.values()].sort((a, b) => (a.node < b.node ? -1 : 1));
  if (nodes.length > 0) status.nodes = nodes;
  if (pin) {
    status.digest = pin.digest;
    status.pinned = true;
  } else if (!status.pinned && !status.uploaded) {
    const d = expectedDigest(image);
    if (d !== undefined) status.digest = d;
  }
  const ready = nodes.find((n) => n.phase === 'Ready' && n.verified && n.totalBytes !== undefined);
  if (status.sizeBytes === undefined && ready?.totalBytes !== undefined) status.sizeBytes = ready.totalBytes;
  status.phase = overallPhase(status, nodes);
  return status;
}

export class ImageStatusWriter {
  private readonly pending = new Map<string, Pending>();
  /** The Image as this writer last wrote it, until the informer has caught up. */
  private readonly written = new Map<string, Image>();
  private stopped = false;

  constructor(private readonly options: ImageStatusOptions) {}

  /** The dispatcher's onImageObserved. */
  observe(node: string, o: agentv1.ImageObserved): void {
    if (this.stopped || !o.image) return;
    let p = this.pending.get(o.image);
    if (!p) this.pending.set(o.image, (p = { reports: new Map(), lastWriteAt: -Infinity }));
    p.reports.set(node, o);
    this.schedule(o.image, p);
  }

  /** Writes everything pending now (tests, shutdown of a term). */
  async flush(): Promise<void> {
    for (const [image, p] of this.pending) {
      if (p.timer !== undefined) this.options.clock.clearTimeout(p.timer);
      p.timer = undefined;
      await p.writing;
      if (p.reports.size > 0) await this.write(image, p);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.pending.values()) if (p.timer !== undefined) this.options.clock.clearTimeout(p.timer);
    this.pending.clear();
  }

  private schedule(image: string, p: Pending): void {
    if (p.timer !== undefined || p.writing) return;
    const wait = Math.max(0, p.lastWriteAt + (this.options.minIntervalMs ?? IMAGE_STATUS_MIN_INTERVAL_MS) - this.options.clock.now());
    p.timer = this.options.clock.setTimeout(() => {
      p.timer = undefined;
      void this.write(image, p);
    }, wait);
  }

  private write(image: string, p: Pending): Promise<void> {
    const reports = p.reports;
    p.reports = new Map();
    p.lastWriteAt = this.options.clock.now();
    p.writing = this.writeReports(image, reports)
      .catch((err: unknown) => this.options.log?.warn({ image, err }, 'writing Image status failed; the next report retries'))
      .finally(() => {
        p.writing = undefined;
        // The entry stays (one per Image): it remembers when this Image was last written.
        if (!this.stopped && p.reports.size > 0) this.schedule(image, p);
      });
    return p.writing;
  }

  private async writeReports(name: string, reports: Map<string, agentv1.ImageObserved>): Promise<void> {
    let image = this.current(name);
    for (let attempt = 1; ; attempt++) {
      if (!image) {
        try {
          image = await this.options.store.get<Image>('Image', name);
        } catch (e) {
          if (isHvsError(e) && e.category === 'NotFound') return; // deleted meanwhile: nothing to report on
          throw e;
        }
      }
      const pin = pinFrom(image, reports);
      const status = mergedStatus(image, reports, pin);
      if (deepEqual(status, image.status)) return;
      try {
        const written = await this.options.store.updateStatus<Image>({ ...image, status });
        const cached = this.options.images?.get(name);
        if (!cached || Number(cached.metadata.resourceVersion) < Number(written.metadata.resourceVersion)) this.written.set(name, written);
        if (pin) await this.announcePin(written, pin);
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= ATTEMPTS) throw e;
        image = undefined;
      }
    }
  }

  private current(name: string): Image | undefined {
    const cached = this.options.images?.get(name);
    const mine = this.written.get(name);
    if (mine && (!cached || Number(mine.metadata.resourceVersion) > Number(cached.metadata.resourceVersion))) return mine;
    this.written.delete(name);
    return cached;
  }

  private async announcePin(image: Image, pin: { node: string; digest: string }): Promise<void> {
    const message = `no digest in the spec (allowUnverified): pinned ${pin.digest} from the first verified download, on node ${pin.node}; every later copy must match it`;
    await this.options.events?.record({ kind: 'Image', name: image.metadata.name, uid: image.metadata.uid, type: 'Warning', reason: 'DigestPinned', message, source: 'controller/image-status', node: pin.node });
    const generation = image.metadata.generation ?? 1;
    await this.options.audit?.append([{ operation: 'pin-digest', kind: 'Image', name: image.metadata.name, uid: image.metadata.uid, actor: `node:${pin.node}`, generationBefore: generation, generationAfter: generation, result: 'ok' }]);
  }
}
