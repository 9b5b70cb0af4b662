import { execFile } from 'node:child_process';
import { hostCommandFailed } from './errors';

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs host tools with argument arrays, never a shell. `netns` runs every command inside that
 * network namespace (`ip netns exec NS ...`): the medium tests realise Networks inside namespaces
 * they create, with the same executor the agent uses on the host.
 */
export class HostCommands {
  constructor(private readonly netns?: string, private readonly timeoutMs = 30_000) {}

  /** A non-zero exit is a result, not an exception. */
  run(argv: readonly string[]): Promise<CommandOutput> {
    const full = this.netns ? ['ip', 'netns', 'exec', this.netns, ...argv] : [...argv];
    return new Promise((resolve) => {
      execFile(full[0]!, full.slice(1), { timeout: this.timeoutMs, maxBuffer: 8 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (e, stdout, stderr) => {
        const code = e ? (typeof (e as { code?: unknown }).code === 'number' ? (e as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (e && code === -1 ? e.message : '') });
      });
    });
  }

  /** Throws HVS-NET-HOST-COMMAND-FAILED with the tool's own message on a non-zero exit. */
  async must(argv: readonly string[]): Promise<string> {
    const r = await this.run(argv);
    if (r.code !== 0) throw hostCommandFailed(argv, r.stderr || r.stdout);
    return r.stdout;
  }

  /** `ip -j ...` / `bridge -j ...` output; [] when the object does not exist. */
  async json<T>(argv: readonly string[]): Promise<T[]> {
    const r = await this.run(argv);
    if (r.code !== 0) {
      if (/does not exist|Cannot find device|No such device/i.test(r.stderr)) return [];
      throw hostCommandFailed(argv, r.stderr);
    }
    const text = r.stdout.trim();
    return text === '' ? [] : (JSON.parse(text) as T[]);
  }
}
