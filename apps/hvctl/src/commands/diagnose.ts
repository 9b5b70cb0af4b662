/**
 * `hvctl diagnose`: one pass over what keeps a cluster working, each line OK / WARN / FAIL with
 * a fix: the controller answers (over verified TLS), a leader is elected, etcd answers, every
 * node is Ready, no certificate expires within 30 days (the CA, the controller's, each node's),
 * and each agent's own checks (asked through the controller, which alone may call agents).
 * Exit 1 when anything FAILs; warnings alone exit 0.
 */
import type { v1 } from '@hvs/proto';
import type { ControllerClient } from '../client/controller-client';
import { CliExit, EXIT, toHvsError } from '../errors';
import type { Palette } from '../printers/colour';
import type { Runtime } from './runtime';

export const CERT_WARN_MS = 30 * 86_400_000;

export interface Finding {
  level: 'ok' | 'warn' | 'fail';
  check: string;
  message: string;
  fix?: string;
}

/** Certificate findings at `now`: expired -> fail, within 30 days -> warn. */
export function certificateFindings(certs: readonly v1.CertificateInfo[], now: number): Finding[] {
  return certs.map((c) => {
    const what = c.kind === 'node' ? `node ${c.name}` : c.kind === 'ca' ? 'cluster CA' : 'controller';
    const left = new Date(c.notAfter).getTime() - now;
    const days = Math.floor(left / 86_400_000);
    if (left <= 0) {
      return { level: 'fail', check: 'certificate', message: `${what}: expired at ${c.notAfter}`, fix: c.kind === 'node' ? `re-join the host: \`hvctl node token create --node ${c.name}\`, remove its <stateDir>/pki and start it with --join` : 'see docs/security.md, rotation' };
    }
    if (left < CERT_WARN_MS) {
      return { level: 'warn', check: 'certificate', message: `${what}: expires in ${days} day(s) (${c.notAfter})`, fix: c.kind === 'node' ? 'the agent renews from 2/3 of its life: check that it runs and reaches the controller (its log says why renewal failed)' : c.kind === 'controller' ? 'the controller renews its certificate from 2/3 of its life (hourly check): its log says why "renewing the controller certificate failed"; a restart also issues a new one' : 'see docs/security.md, rotation' };
    }
    return { level: 'ok', check: 'certificate', message: `${what}: valid for ${days} more days` };
  });
}

export function nodeFindings(nodes: readonly v1.ApiObject[]): Finding[] {
  if (nodes.length === 0) return [{ level: 'warn', check: 'nodes', message: 'no node has joined', fix: 'hvctl node token create --node <name>, then start the agent with --join (docs/joining.md)' }];
  return nodes.map((n) => {
    const name = n.metadata?.name ?? '?';
    const status = JSON.parse(n.statusJson || '{}') as { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') return { level: 'ok', check: 'nodes', message: `${name} Ready` };
    return { level: 'fail', check: 'nodes', message: `${name} not Ready (${ready?.status ?? 'no status'}${ready?.reason ? `: ${ready.reason}` : ''})`, fix: `check the agent on ${name}: its log, and \`hvctl describe node ${name}\`` };
  });
}

export function agentFindings(d: v1.NodeDiagnosis): Finding[] {
  if (d.error) return [{ level: 'fail', check: `agent ${d.node}`, message: d.error, fix: 'check the agent runs, its --advertise address is reachable from the controller, and its certificate (docs/joining.md troubleshooting)' }];
  return d.checks.map((c) => ({ level: c.ok ? (c.warning ? 'warn' : 'ok') : c.warning ? 'warn' : 'fail', check: `agent ${d.node}: ${c.name}`, message: c.message, ...(c.fix && !c.ok ? { fix: c.fix } : {}) }));
}

async function gather(api: ControllerClient, now: number): Promise<Finding[]> {
  const out: Finding[] = [];
  const started = Date.now();
  let status: v1.ClusterStatusResponse;
  try {
    status = await api.clusterStatus();
  } catch (e) {
    const err = toHvsError(e);
    return [{ level: 'fail', check: 'controller', message: `${api.address}: ${err.message}`, fix: err.fix || 'check `hvctl status` (single host) or the controller\'s log' }];
  }
  out.push({ level: 'ok', check: 'controller', message: `${api.address} answers over TLS (${Date.now() - started} ms)` });
  out.push(status.leaderId
    ? { level: 'ok', check: 'leader', message: `${status.leaderId}${status.leaderAddress ? ` at ${status.leaderAddress}` : ''}` }
    : { level: 'fail', check: 'leader', message: 'no controller replica leads: nothing is scheduled or dispatched', fix: 'check that a controller runs with its control loops and reaches etcd' });
  out.push(status.etcdOk
    ? { level: 'ok', check: 'etcd', message: `answers (${status.etcdLatencyMs} ms)` }
    : { level: 'fail', check: 'etcd', message: status.etcdError || 'does not answer', fix: 'check etcd (`etcdctl endpoint health`) and the controller\'s HVS_ETCD_ENDPOINTS' });
  const nodes = (await api.list('Node')).items;
  out.push(...nodeFindings(nodes));
  out.push(...certificateFindings((await api.listCertificates()).certificates, now));
  for (const n of nodes) out.push(...agentFindings(await api.diagnoseNode(n.metadata?.name ?? '')));
  return out;
}

export function renderFindings(findings: readonly Finding[], p: Palette): string {
  const tag = { ok: p.green('OK  '), warn: p.yellow('WARN'), fail: p.red('FAIL') };
  return findings.map((f) => `${tag[f.level]}  ${f.check.padEnd(12)} ${f.message}${f.fix && f.level !== 'ok' ? `\n      fix: ${f.fix}` : ''}`).join('\n') + '\n';
}

export async function runDiagnose(rt: Runtime, f: { output?: string }): Promise<void> {
  const findings = await gather(await rt.api(), Date.now());
  if (f.output === 'json') rt.io.out(`${JSON.stringify({ findings }, null, 2)}\n`);
  else rt.io.out(renderFindings(findings, rt.palette()));
  const fails = findings.filter((x) => x.level === 'fail').length;
  const warns = findings.filter((x) => x.level === 'warn').length;
  if (f.output !== 'json') rt.io.err(`${fails} failure(s), ${warns} warning(s)\n`);
  if (fails > 0) throw new CliExit(EXIT.error);
}
