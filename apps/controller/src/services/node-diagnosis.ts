/**
 * `hvctl diagnose` asks every agent for its own checks through the controller: operators do
 * not hold a certificate agents accept (only the controller's may call them). One call per
 * node, over the same mTLS the dispatcher uses, with a deadline; an agent that cannot be asked
 * gives a diagnosis with `error` set instead of failing the whole command.
 */
import { Metadata } from '@grpc/grpc-js';
import type { agentv1 } from '@hvs/proto';
import type { ObjectStore } from '../store';
import { admit } from './access';
import type { CallContext } from './call-context';

export interface NodeDiagnosisResult {
  node: string;
  error: string;
  checks: agentv1.DiagnoseCheck[];
}

export type DialAgent = (node: string, address: string) => agentv1.AgentClient;

export async function diagnoseNode(ctx: CallContext, store: ObjectStore, dial: DialAgent, node: string, timeoutMs = 10_000): Promise<NodeDiagnosisResult> {
  admit(ctx, 'NodeService/DiagnoseNode');
  const n = (await store.get('Node', node)) as { spec?: { address?: string } };
  const address = n.spec?.address;
  if (!address) return { node, error: 'the node has no address yet (its agent never registered)', checks: [] };
  const client = dial(node, address);
  try {
    const res = await new Promise<agentv1.DiagnoseResponse>((resolve, reject) => {
      client.diagnose({}, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (e, r) => (e ? reject(e) : resolve(r)));
    });
    return { node, error: '', checks: res.checks };
  } catch (e) {
    return { node, error: `the agent at ${address} did not answer: ${(e as Error).message}`, checks: [] };
  } finally {
    client.close();
  }
}
