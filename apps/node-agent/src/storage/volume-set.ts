import { mkdir, stat } from 'node:fs/promises';
import { cloudInitSeedName, HvsError, ownsVolume, parseSize, type VirtualMachine } from '@hvs/domain';
import { TerminalError } from '@hvs/reconcile';
import { resolveBase } from './pool-path';
import { VolumeManager } from './volume-manager';

export type LocalImageFormat = 'qcow2' | 'raw' | 'iso';
export interface LocalImage {
  path: string;
  format: LocalImageFormat;
}

/** A disk whose size was raised while its domain runs (VolumeSet.ensure with `live`). */
export interface DiskToGrow {
  /** `spec.disks[i].size`, as pendingRestart names it. */
  field: string;
  path: string;
  bytes: number;
}

/** A volume named like the agent's own whose VM is not assigned here (VolumeSet.unowned). */
export interface UnownedVolume {
  pool: string;
  name: string;
  actualSizeBytes: number;
}

/** Size and state of one pool, as the agent reports it with its host facts. */
export interface PoolUsage {
  name: string;
  path: string;
  capacityBytes: number;
  availableBytes: number;
  active: boolean;
}

/**
 * The agent's dir pools (one VolumeManager each) and the verified images of its cache. Volume names
 * come from the one naming module (libs/domain naming.ts, the renderer's too), so creating them
 * again after a crash finds the existing file instead of making a second one.
 */
export class VolumeSet {
  private readonly managers = new Map<string, VolumeManager>();
  private imageSource: () => Record<string, LocalImage> = () => ({});

  constructor(
    private readonly pools: Record<string, string>,
    readonly imagesDir: string,
    onCall?: (op: string, ms: number, ok: boolean) => void,
  ) {
    for (const [name, dir] of Object.entries(pools)) {
      this.managers.set(name, new VolumeManager({ poolDir: dir, imageDirs: [imagesDir], ...(onCall ? { onCall } : {}) }));
    }
  }

  poolDirs(): Record<string, { path: string }> {
    return Object.fromEntries(Object.entries(this.pools).map(([n, p]) => [n, { path: p }]));
  }

  async prepare(): Promise<void> {
    for (const dir of [...Object.values(this.pools), this.imagesDir]) await mkdir(dir, { recursive: true });
  }

  /** Where verified images come from (the image cache, images/image-cache.ts localImages). */
  useImages(source: () => Record<string, LocalImage>): void {
    this.imageSource = source;
  }

  /**
   * The verified images (the cache's, by Image name). An entry whose real path leaves the images
   * dir or that is not a regular file is dropped: it would reach a VM as a cdrom or a backing file.
   */
  async images(): Promise<Record<string, LocalImage>> {
    const out: Record<string, LocalImage> = {};
    for (const [name, image] of Object.entries(this.imageSource())) {
      const real = await resolveBase([this.imagesDir], image.path).catch(() => undefined);
      if (real !== undefined && (await stat(real).catch(() => undefined))?.isFile()) out[name] = { path: image.path, format: image.format };
    }
    return out;
  }

  /**
   * Creates every disk of `vm` that is missing and grows a disk whose size was raised
   * (idempotent). Disks with an explicit path are the owner's files. `live`: the domain runs, so
   * a disk is not resized here (qemu-img would corrupt an image in use); the caller reports the
   * change live (blockresize) or as pendingRestart, and the disk grows before the next start.
   * Returns the disks left to grow.
   */
  async ensure(uid: string, vm: VirtualMachine, images: Record<string, LocalImage>, opts: { live?: boolean } = {}): Promise<DiskToGrow[]> {
    const deferred: DiskToGrow[] = [];
    for (const [i, d] of vm.spec.disks.entries()) {
      if (d.path !== undefined) continue;
      const field = `spec.disks[${i}]`;
      if ((d.format ?? 'qcow2') !== 'qcow2') {
        throw new TerminalError('raw disks are not created by the agent', {
          reason: 'UnsupportedDisk',
          cause: new HvsError({ code: 'HVS-AGENT-DISK-FORMAT-UNSUPPORTED', category: 'InvalidArgument', path: `${field}.format`, message: `disk '${d.name}' asks for a new raw volume`, why: 'the agent creates qcow2 volumes only', fix: 'use format qcow2, or give an existing raw file with spec.disks[].path' }),
        });
      }
      const manager = this.manager(d.pool ?? 'default', `${field}.pool`);
      const name = VolumeManager.volumeName(uid, d.name);
      if (d.image !== undefined) {
        const image = Object.hasOwn(images, d.image) ? images[d.image] : undefined;
        if (image === undefined || image.format === 'iso') {
          throw new HvsError({
            code: 'HVS-AGENT-IMAGE-MISSING', category: 'FailedPrecondition', path: `${field}.image`,
            message: `image '${d.image}' for disk '${d.name}' is not on this node`,
            why: image ? 'it is an ISO, which cannot back a disk' : `no verified copy in ${this.imagesDir}`,
            fix: image ? 'attach ISOs as spec.cdrom' : `the agent downloads and verifies it into ${this.imagesDir} first (progress: hvctl get image ${d.image}); it retries on its own`,
          });
        }
        const v = await manager.createOverlay(name, { path: image.path, format: image.format }, d.size !== undefined ? parseSize(d.size) : undefined);
        if (d.size !== undefined && parseSize(d.size) > v.virtualSizeBytes) {
          if (opts.live) deferred.push({ field: `${field}.size`, path: v.path, bytes: parseSize(d.size) });
          else await manager.grow(name, parseSize(d.size));
        }
      } else if (d.size !== undefined) {
        await manager.create(name, parseSize(d.size));
      } else {
        throw new TerminalError(`disk '${d.name}' has neither size nor image`, {
          reason: 'InvalidSpec',
          cause: new HvsError({ code: 'HVS-AGENT-DISK-SIZE-MISSING', category: 'InvalidArgument', path: field, message: `disk '${d.name}' has neither size, image nor path`, why: 'the agent cannot tell what to create', fix: 'give the disk a size (e.g. 10GiB) or an image' }),
        });
      }
    }
    return deferred;
  }

  /**
   * Where the NoCloud seed of `vm` goes: `hvs-<uid>-cidata.iso` in the pool of its first disk (the
   * renderer's cloudInitSeedPath), checked like a volume name (inside the pool, no symlink).
   */
  async seedPath(uid: string, vm: VirtualMachine): Promise<{ path: string; exists: boolean }> {
    const pool = vm.spec.disks[0]?.pool ?? 'default';
    const r = await this.manager(pool, vm.spec.disks.length > 0 ? 'spec.disks[0].pool' : 'spec.cloudInit').resolve(cloudInitSeedName(uid));
    return { path: r.path, exists: r.exists };
  }

  /** Deletes the seed of `uid` from every pool (it holds user-data: gone even when disks are kept); true when one existed. */
  async deleteSeed(uid: string): Promise<boolean> {
    let found = false;
    for (const m of this.managers.values()) if (await m.delete(cloudInitSeedName(uid))) found = true;
    return found;
  }

  /** Deletes every volume of `uid` in every pool, its cloud-init seed included; returns the names. */
  async deleteOwned(uid: string): Promise<string[]> {
    const out: string[] = [];
    for (const m of this.managers.values()) out.push(...(await m.deleteOwned(uid)));
    return out;
  }

  /**
   * Volumes named like the agent's own whose VM is not in `owners`: left by a
   * failed or cancelled copy-storage migration into this host, or on purpose by the keep disk
   * policy. Listed for diagnose; never deleted here (only the operator knows they are garbage).
   */
  async unowned(owners: readonly string[]): Promise<UnownedVolume[]> {
    const out: UnownedVolume[] = [];
    for (const [pool, m] of this.managers) {
      for (const v of await m.list().catch(() => [])) {
        if (!owners.some((uid) => ownsVolume(v.name, uid))) out.push({ pool, name: v.name, actualSizeBytes: v.actualSizeBytes });
      }
    }
    return out;
  }

  async usage(): Promise<PoolUsage[]> {
    const out: PoolUsage[] = [];
    for (const [name, m] of this.managers) {
      try {
        const u = await m.usage();
        out.push({ name, path: this.pools[name], capacityBytes: u.capacityBytes, availableBytes: u.freeBytes, active: true });
      } catch {
        out.push({ name, path: this.pools[name], capacityBytes: 0, availableBytes: 0, active: false });
      }
    }
    return out;
  }

  private manager(pool: string, field: string): VolumeManager {
    const m = this.managers.get(pool);
    if (!m) {
      throw new HvsError({
        code: 'HVS-AGENT-POOL-UNKNOWN', category: 'FailedPrecondition', path: field,
        message: `storage pool '${pool}' is not configured on this node`, why: `the agent has pools ${[...this.managers.keys()].join(', ')}`,
        fix: 'add it to HVS_AGENT_POOLS (name=/path) or pick an existing pool',
      });
    }
    return m;
  }
}
