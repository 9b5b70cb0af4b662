/**
 * The credential of every fuzz request, one function per transport, so the suite follows the
 * API's authentication in one place (issue 12: a client certificate or bearer token on every
 * call; none gets UNAUTHENTICATED/401). Three callers: `admin` (the bootstrap admin's client
 * certificate over gRPC, an admin token over REST: everything is allowed, so the handlers
 * themselves are fuzzed), `viewer` (a bearer token of a read-only identity: mutations are refused
 * with PERMISSION_DENIED/403 and audited) and `anonymous` (no credential: refused, never written).
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import type { ControllerUnderTest } from '../api/controller-under-test';

export type FuzzCaller = 'admin' | 'viewer' | 'anonymous';
export const FUZZ_CALLERS: readonly FuzzCaller[] = ['admin', 'viewer', 'anonymous'];

const viewerTokens = new WeakMap<ControllerUnderTest, Promise<string>>();

function viewerToken(ctl: ControllerUnderTest): Promise<string> {
  let token = viewerTokens.get(ctl);
  if (!token) viewerTokens.set(ctl, (token = ctl.tokenFor('fuzz-viewer', 'viewer')));
  return token;
}

/** REST headers carrying the caller's credential (none for `anonymous`). */
export async function restCredentials(ctl: ControllerUnderTest, caller: FuzzCaller): Promise<Record<string, string>> {
  if (caller === 'anonymous') return {};
  return { authorization: `Bearer ${caller === 'admin' ? ctl.token : await viewerToken(ctl)}` };
}

/** gRPC channel credentials of the caller (anonymous: TLS that trusts the CA, no credential). */
export async function grpcCredentials(ctl: ControllerUnderTest, caller: FuzzCaller): Promise<ChannelCredentials> {
  if (caller === 'anonymous') return ctl.anonymousCreds;
  return caller === 'admin' ? ctl.creds : ctl.bearerCreds(await viewerToken(ctl));
}
