import { HvsError, type ErrorCategory } from '@hvs/domain';

/**
 * libvirt errors -> HvsError. The @unraid/libvirt binding carries only libvirt's message text
 * (code/domain arrive as -1), and virsh prints `error: <message>` lines, so classification is by
 * libvirt's stable message prefixes. libvirt's own text is always kept in `why`.
 */
interface Rule {
  test: RegExp;
  code: string;
  category: ErrorCategory;
  fix: string;
}

const RULES: Rule[] = [
  {
    test: /Cannot recv data|End of file while reading data|client socket is closed|Failed to connect socket|unable to connect to server|Cannot write data|Broken pipe|invalid connection pointer|no connection driver available|Connection reset by peer|not connected|Connection refused|No such file or directory.*sock/i,
    code: 'HVS-LIBVIRT-UNAVAILABLE',
    category: 'Unavailable',
    fix: 'Check that libvirtd runs and its socket is reachable (`virsh -c <uri> uri`), then retry; the agent reconnects on its own.',
  },
  {
    test: /Domain not found|no domain with matching/i,
    code: 'HVS-LIBVIRT-DOMAIN-NOT-FOUND',
    category: 'NotFound',
    fix: 'List the domains with `virsh -c <uri> list --all`; the agent recreates missing domains on its next reconcile.',
  },
  {
    test: /XML error|XML document|Opening and ending tag|unsupported configuration|domain_definition|failed to parse|Invalid value|missing .*element/i,
    code: 'HVS-LIBVIRT-XML-INVALID',
    category: 'InvalidArgument',
    fix: 'The rendered domain XML was refused: check it with `virt-xml-validate <file> domain` and report the VM spec that produced it.',
  },
  {
    test: /Cannot find .*emulator|No such file or directory.*qemu|emulator .* not found|Cannot check QEMU binary/i,
    code: 'HVS-LIBVIRT-EMULATOR-MISSING',
    category: 'FailedPrecondition',
    fix: 'Install QEMU on this host (`apt-get install qemu-system-x86`) or fix the <emulator> path.',
  },
  {
    test: /not supported|unsupported|no support for|this function is not supported/i,
    code: 'HVS-LIBVIRT-UNSUPPORTED',
    category: 'FailedPrecondition',
    fix: 'This hypervisor mode cannot do it (the test driver lacks migration, backups and cross-process state); use a real libvirtd (qemu:///system).',
  },
  {
    test: /not running|already running|is not active|Requested operation is not valid|domain is active|already active/i,
    code: 'HVS-LIBVIRT-INVALID-STATE',
    category: 'FailedPrecondition',
    fix: 'The domain was in another state than expected; the agent re-reads the state and retries.',
  },
  {
    test: /already exists|already defined/i,
    code: 'HVS-LIBVIRT-ALREADY-EXISTS',
    category: 'AlreadyExists',
    fix: 'Another domain holds this name or UUID: `virsh -c <uri> dominfo <name>`; undefine the stray one.',
  },
  {
    test: /Cannot allocate memory|Out of memory|insufficient|No space left/i,
    code: 'HVS-LIBVIRT-RESOURCES',
    category: 'ResourceExhausted',
    fix: 'The host lacks memory or disk for this guest: free some or place the VM on another node.',
  },
];

export interface ErrorContext {
  /** The operation, e.g. `start`, `define`, `virsh domstats`. */
  op: string;
  domain?: string;
  uri: string;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** True when the error means the connection (not the request) failed: reconnect and retry once. */
export function isConnectionError(err: unknown): boolean {
  return !(err instanceof HvsError) && RULES[0].test.test(messageOf(err));
}

/** Maps any libvirt/virsh failure to an HvsError. HvsErrors pass through untouched. */
export function toHvsError(err: unknown, ctx: ErrorContext): HvsError {
  if (err instanceof HvsError) return err;
  const text = messageOf(err).replace(/^error:\s*/gm, '').trim();
  const rule = RULES.find((r) => r.test.test(text));
  const target = ctx.domain ? ` of domain '${ctx.domain}'` : '';
  return new HvsError({
    code: rule?.code ?? 'HVS-LIBVIRT-FAILED',
    category: rule?.category ?? 'Internal',
    message: `libvirt ${ctx.op}${target} failed on ${ctx.uri}`,
    why: text || 'libvirt gave no message',
    fix: (rule?.fix ?? 'Read libvirtd\'s log (journalctl -u libvirtd or /var/log/libvirt/libvirtd.log) for the cause, then retry.').replace('<uri>', ctx.uri),
    cause: err,
  });
}

export function notFound(name: string, uri: string): HvsError {
  return new HvsError({
    code: 'HVS-LIBVIRT-DOMAIN-NOT-FOUND',
    category: 'NotFound',
    message: `domain '${name}' not found on ${uri}`,
    why: 'no domain with that name is defined',
    fix: `List the domains with \`virsh -c ${uri} list --all\`; the agent recreates missing domains on its next reconcile.`,
  });
}

export function unsupportedInTestMode(op: string, uri: string): HvsError {
  return new HvsError({
    code: 'HVS-LIBVIRT-UNSUPPORTED',
    category: 'FailedPrecondition',
    message: `${op} is unsupported in test mode (${uri})`,
    why: "libvirt's test driver keeps its state inside this process, so virsh (another process) cannot see these domains, and it cannot migrate or back up",
    fix: 'Run the agent against a real libvirtd (qemu:///system) for this feature.',
  });
}

export function unavailable(uri: string, cause: unknown): HvsError {
  return new HvsError({
    code: 'HVS-LIBVIRT-UNAVAILABLE',
    category: 'Unavailable',
    message: `cannot reach libvirt at ${uri}`,
    why: messageOf(cause),
    fix: `Check that libvirtd runs (\`virsh -c ${uri} uri\`); the agent reconnects on its next call.`,
    cause,
  });
}
