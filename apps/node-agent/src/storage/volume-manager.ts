import type { Stats } from 'node:fs';
import { chmod, lstat, readdir, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HvsError, isHvsVolume, ownsVolume, volumeName } from '@hvs/domain';
import { invalidName, poolRoot, resolveBase, resolveInPool } from './pool-path';
import { imageInfo, qemuImgRunner, type ImageFormat, type ImageInfo, type QemuImgRunner } from './qemu-img';

export interface VolumeManagerOptions {
  /** The dir pool's directory (absolute). */
  poolDir: string;
  /** Where verified base images may live (default: the pool directory only). */
  imageDirs?: string[];
  qemuImg?: string;
  timeoutMs?: number;
  onCall?: (op: string, ms: number, ok: boolean) => void;
}

export interface Volume extends ImageInfo {
  name: string;
  path: string;
}

export interface BaseImage {
  path: string;
  /** Declared by the Image object; never probed. */
  format: ImageFormat;
}

const PARTIAL = '.partial';

/**
 * Mode of every disk the agent makes: the guest's data, no one else's to read. QEMU still opens
 * it: libvirt's DAC driver (dynamic_ownership = 1, the default; Debian runs QEMU as
 * libvirt-qemu:libvirt-qemu) chowns each disk and its backing chain to QEMU's user before start
 * and gives them back after (remember_owner). See docs/security.md, file modes.
 */
export const VOLUME_FILE_MODE = 0o600;
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** qemu-img rounds a new image's virtual size up to whole 512-byte sectors. */
const sectors = (bytes: number): number => Math.ceil(bytes / 512) * 512;

/** Blank disks remembered by size (a few hundred KiB each). */
const MAX_BLANKS = 8;

/** A file's identity: any write, truncate, replace or rename changes it. */
const identity = (st: Stats): string => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

/**
 * VM disks on a libvirt dir pool through qemu-img: plain qcow2 disks and copy-on-write overlays of
 * a verified base image. Guarantees: formats are always explicit; a base that has its own backing
 * file is refused; every path resolves inside the pool (no separators, `..` or symlinks); a disk
 * is created under a `.partial` name and renamed, so a crash never leaves a half-made disk under
 * its real name, and is 0600 (VOLUME_FILE_MODE) before it gets that name. Operations are idempotent per name, so a reconciler may repeat them.
 *
 * Cost: an empty qcow2 disk is exactly what `qemu-img create -f qcow2 <size>` writes, and those
 * bytes depend on the size alone (no name, time or id in them); so the first disk of a size is
 * made by qemu-img and its bytes kept, and later disks of that size are written from them with no
 * fork (a burst of VMs is mostly same-sized disks). Nothing is read back after a create (its facts
 * are known), and repeating a create for a file this process already made or read is one lstat:
 * what was learnt is reused only while the file's identity (inode, size, mtime, ctime) is unchanged, so a file
 * replaced or written behind the agent's back is read again with `qemu-img info`.
 */
export class VolumeManager {
  private readonly run: QemuImgRunner;
  /** path -> what this process knows of the file, and the identity it was known for. */
  private readonly known = new Map<string, { id: string; volume: Volume }>();
  /** blank size, or overlay base+format+size -> the bytes qemu-img wrote for it. */
  private readonly blanks = new Map<string, Promise<Buffer>>();
  /** base image path -> its `qemu-img info` and the identity it was read for. */
  private readonly bases = new Map<string, { id: string; info: ImageInfo }>();

  constructor(private readonly opts: VolumeManagerOptions) {
    this.run = qemuImgRunner(opts.qemuImg, opts.timeoutMs, opts.onCall);
  }

  /** The name of a VM's new qcow2 disk (naming.ts volumeName), refused unless uid and disk are DNS labels. */
  static volumeName(uid: string, disk: string): string {
    if (!LABEL.test(uid)) throw invalidName(uid, 'the VM uid must be a DNS label');
    if (!LABEL.test(disk)) throw invalidName(disk, 'the disk name must be a DNS label');
    return volumeName(uid, disk);
  }

  /** Creates an empty qcow2 disk. Repeating with the same size returns the existing disk. */
  async create(name: string, sizeBytes: number): Promise<Volume> {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) {
      throw new HvsError({
        code: 'HVS-VOLUME-SIZE-INVALID', category: 'InvalidArgument',
        message: `volume size ${sizeBytes} for '${name}' is invalid`, why: 'a size is a positive whole number of bytes',
        fix: 'Give the disk size as e.g. 10Gi in the VM spec.',
      });
    }
    const { path, exists, stat } = await this.resolve(name);
    if (exists) {
      const v = await this.describe(name, path, stat);
      if (v.virtualSizeBytes === sizeBytes && !v.backingFile) return v;
      throw this.exists(name, `it exists with ${v.virtualSizeBytes} bytes${v.backingFile ? ` on base ${v.backingFile}` : ''}`);
    }
    await this.atomically(path, (tmp) => this.writeBlank(tmp, sizeBytes));
    return this.made(name, path, { format: 'qcow2', virtualSizeBytes: sectors(sizeBytes) });
  }

  /**
   * Creates a qcow2 overlay on a base image. The base must resolve inside imageDirs, read as its
   * declared format, and carry no backing file of its own. `sizeBytes` may grow the disk.
   */
  async createOverlay(name: string, base: BaseImage, sizeBytes?: number): Promise<Volume> {
    const basePath = await resolveBase(this.opts.imageDirs ?? [this.opts.poolDir], base.path);
    let baseInfo: ImageInfo;
    try {
      baseInfo = await this.baseInfo(basePath, base.format);
    } catch (e) {
      throw new HvsError({
        code: 'HVS-VOLUME-BASE-FORMAT', category: 'FailedPrecondition',
        message: `base image ${base.path} does not read as ${base.format}`,
        why: (e as HvsError).why ?? (e as Error).message,
        fix: 'Fix the format in the Image object, or re-download and verify the image.',
      });
    }
    if (baseInfo.backingFile) {
      throw new HvsError({
        code: 'HVS-VOLUME-BASE-HAS-BACKING', category: 'FailedPrecondition',
        message: `base image ${base.path} is refused`,
        why: `it has its own backing file (${baseInfo.backingFile}), which could reference any file on the host`,
        fix: `Flatten it first: qemu-img convert -f ${base.format} -O qcow2 ${base.path} <flat.qcow2>`,
      });
    }
    const { path, exists, stat } = await this.resolve(name);
    if (exists) {
      const v = await this.describe(name, path, stat);
      if (v.backingFile === basePath) return v;
      throw this.exists(name, `it exists with another base (${v.backingFile ?? 'none'})`);
    }
    const size = sizeBytes !== undefined && sizeBytes > baseInfo.virtualSizeBytes ? [String(sizeBytes)] : [];
    await this.atomically(path, (tmp) => this.writeOverlay(tmp, basePath, base.format, size));
    return this.made(name, path, {
      format: 'qcow2', virtualSizeBytes: sectors(size.length > 0 ? sizeBytes! : baseInfo.virtualSizeBytes), backingFile: basePath, backingFormat: base.format,
    });
  }

  /**
   * Grows a volume to `sizeBytes` (`qemu-img resize`; never shrinks: a smaller size is a no-op,
   * the guest's data stays). Only for a disk no running guest holds open (the caller knows).
   */
  async grow(name: string, sizeBytes: number): Promise<Volume> {
    const { path, exists, stat } = await this.resolve(name);
    if (!exists) throw new HvsError({ code: 'HVS-VOLUME-NOT-FOUND', category: 'NotFound', message: `volume '${name}' does not exist`, why: 'only an existing disk can grow', fix: 'let the agent create it first (it retries on its own)' });
    const v = await this.describe(name, path, stat);
    if (sizeBytes <= v.virtualSizeBytes) return v;
    await this.run(['resize', '-q', '-f', 'qcow2', path, String(sizeBytes)], 'resize');
    return this.made(name, path, { format: 'qcow2', virtualSizeBytes: sectors(sizeBytes), ...(v.backingFile ? { backingFile: v.backingFile } : {}), ...(v.backingFormat ? { backingFormat: v.backingFormat } : {}) });
  }

  /** Deletes a volume; true when it existed. Never follows or deletes a symlink. */
  async delete(name: string): Promise<boolean> {
    const { path, exists } = await this.resolve(name);
    await rm(path + PARTIAL, { force: true });
    this.known.delete(path);
    if (!exists) return false;
    await rm(path, { force: true });
    return true;
  }

  /** Volumes the agent owns (naming.ts): every one of the suite's, or only VM `uid`'s. */
  async list(uid?: string): Promise<Volume[]> {
    if (uid !== undefined && !LABEL.test(uid)) throw invalidName(uid, 'the VM uid must be a DNS label');
    const root = await poolRoot(this.opts.poolDir);
    const mine = uid === undefined ? isHvsVolume : (name: string) => ownsVolume(name, uid);
    const out: Volume[] = [];
    for (const entry of (await readdir(root)).sort()) {
      if (!mine(entry) || entry.endsWith(PARTIAL)) continue;
      const r = await resolveInPool(root, entry).catch(() => undefined); // stray links are not volumes
      if (r?.exists) out.push(await this.describe(entry, r.path, r.stat));
    }
    return out;
  }

  /** Deletes every volume of VM `uid` (the "delete" disk policy on VM removal). Returns the names. */
  async deleteOwned(uid: string): Promise<string[]> {
    const names = (await this.list(uid)).map((v) => v.name);
    for (const n of names) await this.delete(n);
    return names;
  }

  async usage(): Promise<{ capacityBytes: number; freeBytes: number }> {
    const s = await statfs(await poolRoot(this.opts.poolDir));
    return { capacityBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  }

  /** The checked absolute path of a volume (see pool-path.ts). */
  async resolve(name: string): Promise<{ path: string; exists: boolean; stat?: Stats }> {
    return resolveInPool(await poolRoot(this.opts.poolDir), name);
  }

  /**
   * `qemu-img info` of a base image, remembered while its identity (inode, size, mtime, ctime)
   * is unchanged: a burst of VMs from one cached image then costs one fork per disk, not two.
   */
  private async baseInfo(path: string, format: ImageFormat): Promise<ImageInfo> {
    const id = `${format}:${identity(await lstat(path))}`;
    const k = this.bases.get(path);
    if (k !== undefined && k.id === id) return k.info;
    const info = await imageInfo(this.run, path, format);
    if (this.bases.size >= MAX_BLANKS) this.bases.delete(this.bases.keys().next().value!);
    this.bases.set(path, { id, info });
    return info;
  }

  /** The volume as `qemu-img info` reads it, unless this process knows the file unchanged since. */
  private async describe(name: string, path: string, stat: Stats | undefined): Promise<Volume> {
    // A cloud-init seed is a raw ISO the agent wrote itself: its facts are its size, no qemu-img
    // (which would refuse it as qcow2 and so stop its deletion with the VM).
    if (name.endsWith('.iso') && stat !== undefined) return { name, path, format: 'raw', virtualSizeBytes: stat.size, actualSizeBytes: stat.blocks * 512 };
    const k = this.known.get(path);
    if (stat !== undefined && k !== undefined && k.id === identity(stat)) return k.volume;
    const volume: Volume = { name, path, ...(await imageInfo(this.run, path, 'qcow2')) };
    if (stat !== undefined) this.known.set(path, { id: identity(stat), volume });
    else this.known.delete(path);
    return volume;
  }

  /** A volume qemu-img has just written with the given explicit facts; only its allocation is read (lstat). */
  private async made(name: string, path: string, facts: Omit<ImageInfo, 'actualSizeBytes'>): Promise<Volume> {
    const st = await lstat(path);
    const volume: Volume = { name, path, ...facts, actualSizeBytes: st.blocks * 512 };
    this.known.set(path, { id: identity(st), volume });
    return volume;
  }

  /** Writes an empty qcow2 disk to `tmp`: by qemu-img the first time per size, else from its remembered bytes. */
  private writeBlank(tmp: string, sizeBytes: number): Promise<void> {
    return this.writeRemembered(tmp, `blank\0${sizeBytes}`, () => this.run(['create', '-q', '-f', 'qcow2', tmp, String(sizeBytes)], 'create'));
  }

  /**
   * Writes a new overlay to `tmp`. An overlay's bytes depend only on its base's path and format
   * and its size (the header names the backing file; no name, time or id), so a burst of VMs
   * from one cached image costs one qemu-img run, then plain writes.
   */
  private writeOverlay(tmp: string, basePath: string, format: ImageFormat, size: string[]): Promise<void> {
    return this.writeRemembered(tmp, `overlay\0${basePath}\0${format}\0${size.join()}`,
      () => this.run(['create', '-q', '-f', 'qcow2', '-F', format, '-b', basePath, tmp, ...size], 'create overlay'));
  }

  /** `make` writes `tmp` the first time per key; later the same bytes are written without a fork. */
  private async writeRemembered(tmp: string, key: string, make: () => Promise<unknown>): Promise<void> {
    const known = this.blanks.get(key);
    if (known !== undefined) {
      await writeFile(tmp, await known, { flag: 'wx', mode: VOLUME_FILE_MODE });
      return;
    }
    const made = make().then(() => readFile(tmp));
    if (this.blanks.size >= MAX_BLANKS) this.blanks.delete(this.blanks.keys().next().value!);
    this.blanks.set(key, made);
    made.catch(() => {
      if (this.blanks.get(key) === made) this.blanks.delete(key);
    });
    await made;
  }

  private async atomically(path: string, make: (tmp: string) => Promise<unknown>): Promise<void> {
    const tmp = path + PARTIAL;
    await rm(tmp, { force: true });
    try {
      await make(tmp);
      // qemu-img creates with the umask (0644); the mode is set before the disk gets its name.
      await chmod(tmp, VOLUME_FILE_MODE);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  private exists(name: string, why: string): HvsError {
    return new HvsError({
      code: 'HVS-VOLUME-EXISTS', category: 'AlreadyExists',
      message: `volume '${name}' already exists in ${this.opts.poolDir}`, why,
      fix: `Delete the old volume (it belongs to a VM with this uid) or check for a uid clash: qemu-img info ${join(this.opts.poolDir, name)}`,
    });
  }
}
