import { chmod, lstat, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HvsError, type Image, type ImageObservation, type Problem, type VirtualMachine } from '@hvs/domain';
import type { Clock, TimerHandle } from '@hvs/reconcile';
import type { Resolver } from './address-policy';
import { CacheIndex } from './cache-index';
import { fetchUploaded, type UploadedImageSource } from './controller-source';
import { expectedDigest, formatDigest, hashFile, newHash, parseDigest, type Digest } from './digest';
import { digestMismatch, digestMissing, isResumable, sourceMissing } from './errors';
import { fetchHttp } from './http-source';
import { imagesOf, progressText } from './image-use';
import { PartFile } from './part-file';
import { ProgressMeter, type Progress } from './progress';

export type LocalImageFormat = 'qcow2' | 'raw' | 'iso';
/** A verified cached copy, as the renderer and the volume code use it. */
export interface LocalImage {
  path: string;
  format: LocalImageFormat;
  digest: string;
}

/** What the cache reads of the assignment (state/assignment-store.ts). */
export interface ImageNeeds {
  readonly images: Record<string, Image>;
  desiredVms(): VirtualMachine[];
  imageDigests(uid: string): Record<string, string>;
}

export interface ImageCacheOptions {
  /** `<imagesDir>`: holds sha256/, sha512/, .partial/ and index.json. */
  dir: string;
  needs: ImageNeeds;
  observed: { setImage(o: ImageObservation): void; forgetImage(name: string): void; event(e: { name: string; uid: string; type: 'ImageUsed'; reason: string; message: string }, at: number): void };
  clock: Clock;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** Downloads at once (default 2); more wait in a queue. */
  concurrency?: number;
  /** Full re-hash of every cached file this often (default 24 h; 0: only at start). */
  rehashMs?: number;
  /** Uploaded images (ImageService.Download); undefined without a controller. */
  uploaded?: UploadedImageSource;
  /** DNS for URL downloads (tests). */
  resolve?: Resolver;
  /** An image became Ready or Failed: VMs waiting for it are looked at again (Agent.requeueVms). */
  onSettled?(): void;
  /** Retry after a failure: base * 2^n, capped (default 5 s .. 5 min). */
  retry?: { baseMs: number; maxMs: number };
}

type Phase = ImageObservation['phase'];

/** One image name's copy here. `key` is what it is fetched from and checked against. */
interface Entry {
  key: string;
  phase: Phase;
  digest?: Digest;
  reason: string;
  message: string;
  progress: Progress;
  error?: HvsError;
  expected?: string;
  actual?: string;
  running?: Promise<void>;
  failures: number;
  /** A digest mismatch: no retry until the key (url or expected digest) changes. */
  final?: boolean;
  retry?: TimerHandle;
}

const NO_PROGRESS: Progress = { bytes: 0, totalBytes: 0, bytesPerSecond: 0, etaSeconds: 0 };
/** Attempts within one download that resume after a broken connection before backing off. */
const RESUME_ATTEMPTS = 3;

/**
 * The node's verified, content-addressed image cache (docs/images.md, "Cache on the nodes").
 * For every Image an assigned VM uses it makes sure `<dir>/<algorithm>/<hex>` exists and hashes
 * to the expected digest: downloaded (http-source.ts, controller-source.ts) into
 * `.partial/<digest>.part` with the digest computed while streaming, resumed after a break,
 * then renamed into place read-only. Trust on first download pins the first sha256 (reported
 * in the observation; the controller pins it). Before every use a cheap check (size, mtime,
 * inode from index.json); at start and every `rehashMs` a full re-hash; a changed file is
 * deleted and fetched again. Reports each copy through `observed.setImage` (progress at most
 * about twice a second) and gates VMs through `prerequisite`.
 */
export class ImageCache {
  private readonly entries = new Map<string, Entry>();
  private readonly index: CacheIndex;
  private active = 0;
  private readonly queue: (() => void)[] = [];
  /** digest (or `tofu <url>`) -> the fetch of it now running. */
  private readonly locks = new Map<string, Promise<void>>();
  private rehashTimer: TimerHandle | undefined;
  private verifying: Promise<void> = Promise.resolve();
  /** uid -> the `name@digest` set of its last ImageUsed events. */
  private readonly used = new Map<string, string>();
  private stopped = false;

  constructor(private readonly o: ImageCacheOptions) {
    this.index = new CacheIndex(o.dir);
  }

  /** Loads the index and re-hashes every cached file (in the background: uses wait for it). */
  async start(): Promise<void> {
    for (const d of ['sha256', 'sha512', '.partial']) await mkdir(join(this.o.dir, d), { recursive: true, mode: 0o700 });
    await this.index.load();
    this.verifying = this.rehashAll();
    this.scheduleRehash();
    this.sync();
  }

  stop(): void {
    this.stopped = true;
    if (this.rehashTimer !== undefined) this.o.clock.clearTimeout(this.rehashTimer);
    for (const e of this.entries.values()) if (e.retry !== undefined) this.o.clock.clearTimeout(e.retry);
    this.o.uploaded?.close();
  }

  /** Resolves when the current work (start-up re-hash, running downloads) is done (tests, bench). */
  async settled(): Promise<void> {
    await this.verifying;
    await Promise.all([...this.entries.values()].map((e) => e.running?.catch(() => undefined)));
  }

  /** Starts what the assignment needs: every used image gets an entry and, unless Ready or final, a fetch. Idempotent. */
  sync(): void {
    if (this.stopped) return;
    const vms = this.o.needs.desiredVms();
    const wanted = new Set(vms.flatMap(imagesOf));
    const uids = new Set(vms.map((vm) => vm.metadata.uid as string));
    for (const uid of [...this.used.keys()]) if (!uids.has(uid)) this.used.delete(uid);
    for (const name of [...this.entries.keys()]) {
      if (wanted.has(name)) continue;
      const e = this.entries.get(name)!;
      if (e.retry !== undefined) this.o.clock.clearTimeout(e.retry);
      this.entries.delete(name);
      this.o.observed.forgetImage(name);
    }
    for (const name of wanted) {
      const image = Object.hasOwn(this.o.needs.images, name) ? this.o.needs.images[name] : undefined;
      if (image === undefined) continue;
      const key = this.keyOf(name, image);
      let e = this.entries.get(name);
      if (e === undefined || e.key !== key) {
        if (e?.retry !== undefined) this.o.clock.clearTimeout(e.retry);
        e = { key, phase: 'Pending', reason: 'Queued', message: 'waiting for a download slot', progress: NO_PROGRESS, failures: 0 };
        this.entries.set(name, e);
        this.publish(name, e);
      }
      if (e.running === undefined && e.phase !== 'Ready' && !e.final && e.retry === undefined) this.begin(name, e, image);
    }
  }

  /** Verified images by name, for the renderer (cdroms) and the overlays. */
  localImages(): Record<string, LocalImage> {
    const out: Record<string, LocalImage> = {};
    for (const [name, e] of this.entries) {
      const image = this.o.needs.images[name];
      if (e.phase === 'Ready' && e.digest && image) out[name] = { path: this.pathOf(e.digest), format: image.spec.format, digest: formatDigest(e.digest) };
    }
    return out;
  }

  /**
   * The VM prerequisite: undefined when every image `vm` uses is verified here (cheap check
   * now); else Pending ImageNotReady (with progress) or ImageFailed (with the problem). Passing
   * records an ImageUsed event per image, once per set of digests.
   */
  readonly prerequisite = async (uid: string, vm: VirtualMachine): Promise<{ reason: string; message: string; problem?: Problem } | undefined> => {
    this.sync();
    const names = imagesOf(vm);
    const ready: string[] = [];
    for (const name of names) {
      const e = this.entries.get(name);
      if (e === undefined) return { reason: 'ImageNotReady', message: `image ${name} is not in this node's assignment yet` };
      if (e.phase === 'Failed') {
        return { reason: 'ImageFailed', message: `image ${name}: ${e.error?.message ?? e.message}${e.error?.why ? `: ${e.error.why}` : ''}`, ...(e.error ? { problem: problemOf(e.error) } : {}) };
      }
      if (e.phase !== 'Ready' || e.digest === undefined) return { reason: 'ImageNotReady', message: `image ${name}: ${progressText({ ...e.progress, phase: e.phase, message: e.message })}` };
      // This VM's own expected digest (the controller's, per VM) must be the one cached.
      const mine = parseDigest(this.o.needs.imageDigests(uid)[name] ?? '');
      if (mine !== undefined && formatDigest(mine) !== formatDigest(e.digest)) {
        return { reason: 'ImageNotReady', message: `image ${name}: this VM expects ${formatDigest(mine)}, the cached copy is ${formatDigest(e.digest)}; waiting for the assignment to agree` };
      }
      const check = await this.index.cheapCheck(formatDigest(e.digest), this.pathOf(e.digest));
      if (check !== 'ok') {
        await this.changed(name, e, check);
        return { reason: 'ImageNotReady', message: `image ${name}: the cached copy ${check === 'missing' ? 'is gone' : 'changed on disk'}; fetching it again` };
      }
      ready.push(`${name}@${formatDigest(e.digest)}`);
    }
    const key = ready.join(' ');
    if (names.length > 0 && this.used.get(uid) !== key) {
      this.used.set(uid, key);
      for (const r of ready) {
        const [name, digest] = r.split('@');
        this.o.observed.event({ name: vm.metadata.name, uid, type: 'ImageUsed', reason: 'ImageUsed', message: `uses image ${name} (${digest})` }, this.o.clock.now());
      }
    }
    return undefined;
  };

  /** Re-hashes every indexed file; a file that does not match is deleted (and fetched again when used). */
  async rehashAll(): Promise<void> {
    for (const digest of this.index.digests()) {
      const d = parseDigest(digest);
      if (d === undefined) {
        await this.index.forget(digest);
        continue;
      }
      const path = this.pathOf(d);
      const ok = await this.hashMatches(d, path);
      if (ok) {
        const st = await lstat(path);
        await this.index.record(digest, st, this.o.clock.now());
        continue;
      }
      this.o.log.warn({ digest, path }, `cached image ${path} no longer hashes to ${digest}: deleted, it is fetched again when used`);
      await rm(path, { force: true });
      await this.index.forget(digest);
      for (const [name, e] of this.entries) {
        if (e.digest && formatDigest(e.digest) === digest && e.phase === 'Ready') this.reset(name, e, 'the cached copy changed on disk (full re-hash)');
      }
    }
    this.sync();
  }

  private keyOf(name: string, image: Image): string {
    const fromVm = this.o.needs.desiredVms().map((vm) => this.o.needs.imageDigests(vm.metadata.uid as string)[name]).find((d) => d);
    const d = expectedDigest(image, fromVm);
    return JSON.stringify([image.spec.source.url ?? (image.spec.source.upload ? 'upload' : ''), d ? formatDigest(d) : 'tofu', image.spec.format]);
  }

  private pathOf(d: Digest): string {
    return join(this.o.dir, d.algorithm, d.hex);
  }

  private begin(name: string, e: Entry, image: Image): void {
    // Names with the same bytes share one part file and one cached file: one fetch at a time per
    // digest (or per URL before a TOFU pin); the next finds the file there and only checks it.
    const [source, digest] = JSON.parse(e.key) as string[];
    const lock = digest === 'tofu' ? `tofu ${source}` : digest;
    const before = this.locks.get(lock) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(() => this.slot(() => this.acquire(name, e, image)))
      .catch((err: unknown) => this.failed(name, e, image, err))
      .finally(() => {
        if (e.running === run) e.running = undefined;
        if (this.locks.get(lock) === run) this.locks.delete(lock);
      });
    e.running = run;
    this.locks.set(lock, run);
  }

  /** Makes the cached copy exist and verified: reuse, verify an unindexed file, or download. */
  private async acquire(name: string, e: Entry, image: Image): Promise<void> {
    await this.verifying;
    if (this.entries.get(name) !== e) return;
    const fromVm = JSON.parse(e.key)[1] as string;
    const pinKey = `${name} ${image.spec.source.url ?? 'upload'}`;
    let want = fromVm === 'tofu' ? undefined : parseDigest(fromVm);
    if (want === undefined && image.spec.allowUnverified) want = parseDigest(this.index.pin(pinKey) ?? '');
    if (want === undefined && !image.spec.allowUnverified) throw digestMissing(name);
    if (want !== undefined) {
      const path = this.pathOf(want);
      const check = await this.index.cheapCheck(formatDigest(want), path);
      if (check === 'ok') return this.ready(name, e, want);
      if (check === 'changed') await this.dropChanged(name, want, 'its size, mtime or inode changed since it was verified');
      if (check === 'unverified') {
        this.set(name, e, 'Pending', 'Verifying', `hashing the cached copy ${path}`);
        if (await this.hashMatches(want, path)) {
          await this.index.record(formatDigest(want), await lstat(path), this.o.clock.now());
          return this.ready(name, e, want);
        }
        await this.dropChanged(name, want, 'it does not hash to its name');
      }
    }
    const algorithm = want?.algorithm ?? 'sha256';
    const partPath = join(this.o.dir, '.partial', `${want ? formatDigest(want) : `tofu-${newHash('sha256').update(pinKey).digest('hex').slice(0, 32)}`}.part`);
    const meter = new ProgressMeter((p) => {
      e.progress = p;
      this.set(name, e, 'Downloading', 'Downloading', progressText({ ...p, phase: 'Downloading', message: '' }));
    }, () => this.o.clock.now());
    for (let attempt = 1; ; attempt++) {
      const part = await PartFile.open(partPath, algorithm);
      this.set(name, e, 'Downloading', 'Downloading', part.size > 0 ? `resuming at byte ${part.size}` : 'connecting');
      try {
        if (image.spec.source.url) await fetchHttp({ image: name, url: image.spec.source.url, dir: this.o.dir, ...(this.o.resolve ? { resolve: this.o.resolve } : {}) }, part, meter);
        else if (image.spec.source.upload && this.o.uploaded) await fetchUploaded(name, this.o.dir, this.o.uploaded, part, meter);
        else throw sourceMissing(name);
        await part.end();
      } catch (err) {
        await part.keep();
        if (isResumable(err) && attempt < RESUME_ATTEMPTS) {
          this.o.log.info({ image: name, attempt, bytes: part.size }, `image ${name}: ${(err as HvsError).why}; resuming`);
          continue;
        }
        throw err;
      }
      meter.flush();
      const actual: Digest = { algorithm, hex: await part.digestHex() };
      if (want !== undefined && actual.hex !== want.hex) {
        await rm(partPath, { force: true });
        e.expected = formatDigest(want);
        e.actual = formatDigest(actual);
        throw digestMismatch(name, e.expected, e.actual);
      }
      const final = this.pathOf(actual);
      await chmod(partPath, 0o444);
      await rename(partPath, final);
      await this.index.record(formatDigest(actual), await lstat(final), this.o.clock.now());
      if (want === undefined) {
        await this.index.setPin(pinKey, formatDigest(actual));
        this.o.log.warn({ image: name, digest: formatDigest(actual) }, `image ${name} has no digest (allowUnverified): trusting its first download, pinned ${formatDigest(actual)}; every later copy must match`);
      }
      this.o.log.info({ image: name, digest: formatDigest(actual), bytes: part.size }, `image ${name} downloaded and verified`);
      return this.ready(name, e, actual);
    }
  }

  private ready(name: string, e: Entry, d: Digest): void {
    e.digest = d;
    e.failures = 0;
    e.error = undefined;
    e.progress = { ...e.progress, bytes: e.progress.totalBytes || e.progress.bytes, bytesPerSecond: 0, etaSeconds: 0 };
    this.set(name, e, 'Ready', 'Verified', `verified ${formatDigest(d)}`);
    this.o.onSettled?.();
  }

  private failed(name: string, e: Entry, image: Image, err: unknown): void {
    if (this.entries.get(name) !== e) return;
    const error = err instanceof HvsError ? err : new HvsError({ code: 'HVS-IMAGE-DOWNLOAD-FAILED', category: 'Internal', message: `image '${name}': caching failed`, why: String((err as Error)?.message ?? err), fix: 'see the agent log; the agent retries' });
    e.error = error;
    e.final = error.code === 'HVS-IMAGE-DIGEST-MISMATCH' || error.code === 'HVS-IMAGE-DIGEST-MISSING' || error.code === 'HVS-IMAGE-URL-REFUSED' || error.code === 'HVS-IMAGE-SOURCE-MISSING';
    e.failures++;
    const reason = { 'HVS-IMAGE-DIGEST-MISMATCH': 'DigestMismatch', 'HVS-IMAGE-URL-REFUSED': 'UrlRefused', 'HVS-IMAGE-DISK-FULL': 'DiskFull' }[error.code] ?? 'DownloadFailed';
    this.set(name, e, 'Failed', reason, `${error.message}: ${error.why ?? ''}`);
    this.o.log.warn({ image: name, code: error.code }, `${error.toString()}`);
    this.o.onSettled?.();
    if (!e.final && !this.stopped) {
      const r = this.o.retry ?? { baseMs: 5000, maxMs: 300_000 };
      e.retry = this.o.clock.setTimeout(() => {
        e.retry = undefined;
        if (this.entries.get(name) === e) this.begin(name, e, image);
      }, Math.min(r.maxMs, r.baseMs * 2 ** Math.min(e.failures - 1, 16)));
    }
  }

  /** The cheap check failed before a use: delete and fetch again. */
  private async changed(name: string, e: Entry, check: string): Promise<void> {
    if (e.digest === undefined) return;
    if (check === 'changed' || check === 'unverified') await this.dropChanged(name, e.digest, 'its size, mtime or inode changed since it was verified');
    else this.o.log.warn({ image: name }, `cached image ${name} is gone from ${this.pathOf(e.digest)}: fetching it again`);
    this.reset(name, e, 'the cached copy changed; fetching it again');
    this.sync();
  }

  private async dropChanged(name: string, d: Digest, why: string): Promise<void> {
    const path = this.pathOf(d);
    this.o.log.warn({ image: name, digest: formatDigest(d), path }, `cached image ${path} (${name}) is deleted and fetched again: ${why}`);
    await rm(path, { force: true });
    await this.index.forget(formatDigest(d));
  }

  private reset(name: string, e: Entry, message: string): void {
    e.phase = 'Pending';
    e.digest = undefined;
    e.progress = NO_PROGRESS;
    this.set(name, e, 'Pending', 'Changed', message);
  }

  private set(name: string, e: Entry, phase: Phase, reason: string, message: string): void {
    e.phase = phase;
    e.reason = reason;
    e.message = message;
    this.publish(name, e);
  }

  private publish(name: string, e: Entry): void {
    const p = e.progress;
    this.o.observed.setImage({
      image: name, phase: e.phase, bytes: p.bytes, totalBytes: p.totalBytes, bytesPerSecond: e.phase === 'Downloading' ? p.bytesPerSecond : 0,
      etaSeconds: e.phase === 'Downloading' ? p.etaSeconds : 0, verified: e.phase === 'Ready', digest: e.phase === 'Ready' && e.digest ? formatDigest(e.digest) : '',
      reason: e.reason, message: e.message.slice(0, 1024),
      ...(e.phase === 'Failed' && e.expected ? { expectedDigest: e.expected, actualDigest: e.actual } : {}),
      ...(e.phase === 'Failed' && e.error ? { error: problemOf(e.error) } : {}),
    });
  }

  private async hashMatches(d: Digest, path: string): Promise<boolean> {
    const h = newHash(d.algorithm);
    try {
      await hashFile(path, h);
    } catch {
      return false;
    }
    return h.digest('hex') === d.hex;
  }

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= (this.o.concurrency ?? 2)) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  private scheduleRehash(): void {
    const every = this.o.rehashMs ?? 24 * 3600_000;
    if (every <= 0 || this.stopped) return;
    this.rehashTimer = this.o.clock.setTimeout(() => {
      this.verifying = this.rehashAll().catch((err: unknown) => this.o.log.warn({ err }, 'image re-hash failed'));
      void this.verifying.finally(() => this.scheduleRehash());
    }, every);
  }
}

function problemOf(e: HvsError): Problem {
  return { code: e.code, message: e.message, why: e.why ?? '', fix: e.fix ?? '' };
}
