import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cloudInitSeedName, HvsError, ownsVolume, parseSize, type VirtualMachine } from '@hvs/domain';
import { TerminalError } from '@hvs/reconcile';
import { resolveBase } from './pool-path';
import { VolumeManager } from './volume-manager';

export type LocalImageFormat = 'qcow2' | 'raw' | 'iso';
export interface LocalImage {
  path: string;
  format: LocalImageFormat;
}

const IMAGE_FILE = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\.(qcow2|raw|iso)$/;

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
 * The agent's dir pools (one VolumeManager each) and its verified image directory. Volume names
 * come from the one naming module (libs/domain naming.ts, the renderer's too), so creating them
 * again after a crash finds the existing file instead of making a second one.
 */
export class VolumeSet {
  private readonly managers = new Map<string, VolumeManager>();

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

  /**
   * Images present in the images dir as `<name>.<format>` (the image cache fills it; verified
   * there). An entry whose real path leaves the dir (a symlink to a host file) or that is not a
   * regular file is no image: it would reach a VM as a cdrom or a backing file.
   */
  async images(): Promise<Record<string, LocalImage>> {
    const out: Record<string, LocalImage> = {};
    let entries: string[] = [];
    try {
      entries = await readdir(this.imagesDir);
    } catch {
      return out;
    }
    for (const e of entries) {
      const m = IMAGE_FILE.exec(e);
      if (!m || Object.hasOwn(out, m[1])) continue;
      const path = join(this.imagesDir, e);
      const real = await resolveBase([this.imagesDir], path).catch(() => undefined);
      if (real !== undefined && (await stat(real).catch(() => undefined))?.isFile()) out[m[1]] = { path, format: m[3] as LocalImageFormat };
    }
    return out;
  }

  /** Creates every disk of `vm` that is missing (idempotent). Disks with an explicit path are the owner's files. */
  async ensure(uid: string, vm: VirtualMachine, images: Record<string, LocalImage>): Promise<void> {
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
            fix: image ? 'attach ISOs as spec.cdrom' : `download and verify the image (${join(this.imagesDir, `${d.image}.qcow2`)}); the agent retries on its own`,
          });
        }
        await manager.createOverlay(name, { path: image.path, format: image.format }, d.size !== undefined ? parseSize(d.size) : undefined);
      } else if (d.size !== undefined) {
        await manager.create(name, parseSize(d.size));
      } else {
        throw new TerminalError(`disk '${d.name}' has neither size nor image`, {
          reason: 'InvalidSpec',
          cause: new HvsError({ code: 'HVS-AGENT-DISK-SIZE-MISSING', category: 'InvalidArgument', path: field, message: `disk '${d.name}' has neither size, image nor path`, why: 'the agent cannot tell what to create', fix: 'give the disk a size (e.g. 10GiB) or an image' }),
        });
      }
    }
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
