/**
 * Who may make node-scoped calls (RegisterNode, Heartbeat, RenewCertificate): only a caller
 * presenting an accepted node certificate of this cluster (not revoked: pki/node-certificates.ts),
 * and only about the node it names. A
 * compromised host can therefore never report for, or take over, another host. Operator calls
 * (CreateJoinToken, lists, revoke) refuse node certificates: a host must not mint tokens.
 */
import { HvsError } from '@hvs/domain';
import type { AuthenticatedCall, ClusterPki, VerifiedNode } from '../../pki';

export async function requireNodeFor(pki: ClusterPki, call: AuthenticatedCall, method: string, named: string): Promise<VerifiedNode> {
  const caller = await pki.requireNode(call, method);
  if (caller.node !== named) throw nodeMismatch(method, caller.node, named);
  return caller;
}

export async function refuseNodeCaller(pki: ClusterPki, call: AuthenticatedCall, method: string): Promise<void> {
  const caller = await pki.nodeOf(call);
  if (caller !== undefined) {
    throw new HvsError({
      code: 'HVS-PKI-NODE-NOT-ALLOWED', category: 'PermissionDenied',
      message: `${method} is an operator call; node "${caller.node}" may not make it`,
      why: 'a node certificate only lets a host speak for itself; creating or listing join tokens could let it add hosts',
      fix: 'run the command with hvctl as an operator, not with a node\'s certificate',
    });
  }
}

export function nodeMismatch(method: string, caller: string, named: string): HvsError {
  return new HvsError({
    code: 'HVS-PKI-NODE-MISMATCH', category: 'PermissionDenied',
    message: `${method} for node "${named.slice(0, 63)}" was refused: the caller's certificate is node "${caller}"`,
    why: 'a node certificate may only report for its own node, so one host can never act for another',
    fix: `start this agent with --node-name ${caller}, or join it under the other name with a token bound to it (\`hvctl node token create --node ${named.slice(0, 63)}\`)`,
  });
}
