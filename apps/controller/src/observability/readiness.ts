/**
 * Readiness: other parts of the controller register named checks (etcd reachable,
 * API server listening...); `/readyz` is ready when every check passes. Each check runs
 * under a deadline so a hung dependency makes the probe fail, not hang.
 */
export type ReadinessCheck = () => Promise<void> | void;

export interface ReadinessReport {
  ready: boolean;
  checks: { name: string; ok: boolean; error?: string }[];
}

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(private readonly deadlineMs = 2000) {}

  /** Adds or replaces a check; it fails by throwing (its message is shown, so keep it free of secrets). */
  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  unregister(name: string): void {
    this.checks.delete(name);
  }

  async evaluate(): Promise<ReadinessReport> {
    const checks = await Promise.all([...this.checks].map(async ([name, check]) => {
      try {
        await this.withDeadline(name, check);
        return { name, ok: true };
      } catch (e) {
        return { name, ok: false, error: e instanceof Error ? e.message : String(e) };
      }
    }));
    return { ready: checks.every((c) => c.ok), checks };
  }

  private async withDeadline(name: string, check: ReadinessCheck): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} did not answer within ${this.deadlineMs} ms`)), this.deadlineMs);
    });
    try {
      await Promise.race([Promise.resolve().then(check), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
