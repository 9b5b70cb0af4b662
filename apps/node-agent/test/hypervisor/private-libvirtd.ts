import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A libvirtd of our own for the real-QEMU tests: its own mount namespace with private
 * /etc/libvirt, /run, /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt bound over the
 * real ones, so it never touches (or sees) a system libvirtd. Settings per the recipes: QEMU
 * runs as root, no security driver, no cgroups/namespaces, stdio to files.
 */
export interface PrivateLibvirtd {
  uri: string;
  base: string;
  pid(): number;
  /** SIGTERM, then start again on the same dirs (guests keep running; libvirtd re-attaches). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function ok(cmd: string, args: string[]): Promise<boolean> {
  return run(cmd, args).then(() => true, () => false);
}

/** libvirt 9 resolves the default `libvirt-qemu` user and `kvm` group even when qemu.conf says root. */
export async function ensureQemuUserAndGroup(): Promise<void> {
  if (!(await ok('getent', ['group', 'kvm']))) await run('groupadd', ['-r', 'kvm']);
  if (!(await ok('getent', ['passwd', 'libvirt-qemu']))) {
    await run('useradd', ['-r', '-g', 'kvm', '-d', '/var/lib/libvirt', '-s', '/usr/sbin/nologin', 'libvirt-qemu']);
  }
}

const MOUNTS: [string, string][] = [
  ['etc', '/etc/libvirt'],
  ['run', '/run'],
  ['lib', '/var/lib/libvirt'],
  ['log', '/var/log/libvirt'],
  ['cache', '/var/cache/libvirt'],
];

export async function startPrivateLibvirtd(deadlineMs = 30_000): Promise<PrivateLibvirtd> {
  await ensureQemuUserAndGroup();
  const base = await mkdtemp(join(tmpdir(), 'hvs-libvirtd-'));
  for (const [dir] of MOUNTS) await mkdir(join(base, dir), { recursive: true });
  await mkdir(join(base, 'lib/qemu'), { recursive: true });
  await mkdir(join(base, 'log/qemu'), { recursive: true });
  await writeFile(join(base, 'etc/libvirtd.conf'), [
    'listen_tls = 0', 'listen_tcp = 0', 'auth_unix_rw = "none"', 'unix_sock_group = "root"',
    'log_outputs = "2:file:/var/log/libvirt/libvirtd.log"', '',
  ].join('\n'));
  await writeFile(join(base, 'etc/qemu.conf'), [
    'user = "root"', 'group = "root"', 'dynamic_ownership = 0', 'remember_owner = 0', 'security_driver = "none"',
    'cgroup_controllers = [ ]', 'namespaces = [ ]', 'stdio_handler = "file"', '',
  ].join('\n'));

  // The script is constant; the base dir comes in as $1 (no interpolation into shell text).
  const script = [
    'set -e',
    ...MOUNTS.map(([dir, target]) => `mount --bind "$1/${dir}" ${target}`),
    'exec libvirtd --pid-file /run/libvirtd.pid',
  ].join('; ');
  const uri = `qemu+unix:///system?socket=${join(base, 'run/libvirt/libvirt-sock')}`;
  let child: ChildProcess;
  let exited: Promise<void>;
  let stderr = '';

  const launch = async (): Promise<void> => {
    // unshare execs bash, which execs libvirtd: child.pid is libvirtd's PID.
    child = spawn('unshare', ['-m', '--propagation', 'private', 'bash', '-c', script, 'hvs-libvirtd', base], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const t0 = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`private libvirtd exited early (${child.exitCode}): ${stderr.trim()}`);
      if (await ok('virsh', ['-q', '-c', uri, 'uri'])) return;
      if (Date.now() - t0 > deadlineMs) throw new Error(`private libvirtd did not answer on ${uri} within ${deadlineMs} ms: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 50)); // polling a condition with a deadline, not a fixed wait
    }
  };

  const terminate = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const stop = async (): Promise<void> => {
    const names = await run('virsh', ['-q', '-c', uri, 'list', '--all', '--name']).then((r) => r.stdout.split('\n').filter(Boolean), () => []);
    for (const n of names) {
      await run('virsh', ['-q', '-c', uri, 'destroy', n]).catch(() => undefined);
      await run('virsh', ['-q', '-c', uri, 'undefine', n, '--nvram']).catch(() => undefined);
    }
    // Safety net: QEMU processes this libvirtd started, by the PIDs it recorded.
    const qemuRun = join(base, 'run/libvirt/qemu');
    for (const f of await readdir(qemuRun).catch(() => [] as string[])) {
      if (!f.endsWith('.pid')) continue;
      const qpid = Number((await readFile(join(qemuRun, f), 'utf8').catch(() => '')).trim());
      if (qpid > 0) {
        try {
          process.kill(qpid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await terminate();
    await rm(base, { recursive: true, force: true });
  };

  try {
    await launch();
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    uri,
    base,
    pid: () => child.pid!,
    restart: async () => {
      await terminate();
      await launch();
    },
    stop,
  };
}

/** Builds (or reuses) the tiny guest; see test/guest/build-guest.sh. */
export async function buildTinyGuest(repoRoot: string): Promise<{ kernel: string; initrd: string }> {
  const { stdout } = await run('bash', [join(repoRoot, 'test/guest/build-guest.sh')], { timeout: 300_000 });
  const kernel = /^KERNEL=(.*)$/m.exec(stdout)?.[1];
  const initrd = /^INITRD=(.*)$/m.exec(stdout)?.[1];
  if (!kernel || !initrd) throw new Error(`build-guest.sh printed no paths: ${stdout}`);
  return { kernel, initrd };
}
