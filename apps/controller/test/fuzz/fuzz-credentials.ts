/**
 * The credential of every fuzz request, one function per transport, so the suite follows the
 * API's authentication in one place (issue 12: every call needs a client certificate (gRPC) or
 * `Authorization: Bearer <token>` (REST); an anonymous call is refused with UNAUTHENTICATED/401).
 * Until the edges authenticate, `operator` is what the other API tests send today (TLS trusting
 * the cluster CA, no client certificate; REST without a header) and differs from `anonymous` only
 * in the old audit-actor header. Once authentication lands, only these two functions change.
 */
import { Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import type { ControllerUnderTest } from '../api/controller-under-test';

/** Who sends a fuzz case: an operator with a credential, or an anonymous caller with none. */
export type FuzzCaller = 'operator' | 'anonymous';
export const FUZZ_CALLERS: readonly FuzzCaller[] = ['operator', 'anonymous'];

export interface GrpcCredentials {
  channel: ChannelCredentials;
  /** Per-call metadata (a fresh object each call: grpc-js takes ownership). */
  metadata(): Metadata;
}

/** REST headers carrying the caller's credential (none for `anonymous`). */
export function restCredentials(_ctl: ControllerUnderTest, caller: FuzzCaller): Record<string, string> {
  return caller === 'operator' ? { 'x-hvs-actor': 'fuzz-operator' } : {};
}

/** Channel credentials and metadata of the caller (anonymous: TLS that trusts the CA, no client certificate). */
export async function grpcCredentials(ctl: ControllerUnderTest, caller: FuzzCaller): Promise<GrpcCredentials> {
  const metadata = () => {
    const md = new Metadata();
    if (caller === 'operator') md.set('x-hvs-actor', 'fuzz-operator');
    return md;
  };
  return { channel: ctl.creds, metadata };
}
