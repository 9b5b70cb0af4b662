/**
 * PID bookkeeping for single-host mode. A PID alone can be reused after a reboot or a long
 * time, so every recorded process also carries its start time (field 22 of /proc/PID/stat):
 * hvctl signals a PID only when both still match. Zombies count as dead.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';

export function procStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The process with this PID is alive and is the one started at `startTime`. */
export function isOurs(pid: number, startTime: string): boolean {
  return pid > 0 && procStartTime(pid) === startTime;
}

export interface Started {
  pid: number;
  startTime: string;
}

/**
 * Starts a detached process (its own session and process group) writing stdout and stderr
 * to `logFile`; it keeps running after hvctl exits.
 */
export function spawnDetached(command: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd: string; logFile: string }): Started {
  const fd = fs.openSync(opts.logFile, 'a', 0o600);
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env: opts.env, cwd: opts.cwd });
    child.on('error', () => undefined);
    child.unref();
    const pid = child.pid ?? -1;
    return { pid, startTime: procStartTime(pid) ?? '' };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * SIGTERM to the process group, poll until it is gone, SIGKILL after `graceMs`. Returns how
 * it ended. Never signals a PID whose start time no longer matches.
 */
export async function stopProcess(p: Started, graceMs: number, sleep: (ms: number) => Promise<void>): Promise<'exited' | 'killed' | 'absent'> {
  if (!isOurs(p.pid, p.startTime)) return 'absent';
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-p.pid, sig);
    } catch {
      try {
        process.kill(p.pid, sig);
      } catch {
        // gone meanwhile
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurs(p.pid, p.startTime)) return 'exited';
    await sleep(50);
  }
  signal('SIGKILL');
  const hard = Date.now() + 5_000;
  while (Date.now() < hard && isOurs(p.pid, p.startTime)) await sleep(20);
  return 'killed';
}

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      server.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Who listens on a TCP port, from /proc/net/tcp{,6} and /proc/PID/fd (best effort: own processes, or all as root). */
export function whoListens(port: number): { pid: number; command: string } | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue;
      if (parseInt(f[1]!.split(':')[1] ?? '', 16) === port) inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const dir of fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d))) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${dir}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${dir}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) {
          let command = '?';
          try {
            command = fs.readFileSync(`/proc/${dir}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 120);
          } catch {
            // keep '?'
          }
          return { pid: Number(dir), command };
        }
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return undefined;
}
