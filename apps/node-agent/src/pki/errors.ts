/**
 * Errors of joining and of the agent's identity. None carries the token, a secret or a key;
 * fingerprints are public (they are hashes of a public certificate). HVS-JOIN-TOKEN-MALFORMED,
 * which the controller raises too, is in @hvs/pki.
 */
import { HvsError } from '@hvs/domain';

export function caHashMissing(): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-CA-HASH-MISSING', category: 'InvalidArgument',
    message: 'no CA hash to check the controller against',
    why: 'the token has no fourth part and no --ca-hash was given; without it anyone on the path could pose as the controller and take the token',
    fix: 'use the whole token `hvctl node token create` printed, or pass --ca-hash sha256 of the controller\'s ca.crt',
  });
}

export function caHashConflict(): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-CA-HASH-CONFLICT', category: 'InvalidArgument',
    message: 'the CA hash in the token and the one given with --ca-hash differ',
    why: 'both name the CA this host will trust; they must agree',
    fix: 'drop --ca-hash (the token carries it) or check which controller the token came from',
  });
}

export function caMismatch(address: string, pinned: string, seen: string[]): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-CA-MISMATCH', category: 'PermissionDenied',
    message: `the server at ${address} is not signed by the CA the token names (sha256 ${pinned.slice(0, 16)}...)`,
    why: `it presented certificates with sha256 ${seen.map((s) => s.slice(0, 16) + '...').join(', ') || '(none)'}: a different cluster, a proxy, or someone in the middle. The token was not sent.`,
    fix: 'check the --join address points at this cluster\'s controller, and that the token was made by it (its CA is <dataDir>/pki/ca.crt; `sha256sum` of its DER form must match); see docs/security.md',
  });
}

export function controllerUnreachable(address: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-CONTROLLER-UNREACHABLE', category: 'Unavailable',
    message: `cannot reach the controller at ${address}`,
    why,
    fix: 'check the address and port (--join host:port, the controller\'s grpcListen) and that a firewall lets this host through',
  });
}

export function issuedCertificateInvalid(why: string): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-CERT-INVALID', category: 'Internal',
    message: 'the certificate the controller returned cannot be used',
    why,
    fix: 'run `hvctl diagnose` on the controller; upgrade agent and controller to the same version',
  });
}

export function identityMismatch(dir: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-AGENT-IDENTITY-MISMATCH', category: 'FailedPrecondition',
    message: `the identity stored in ${dir} does not fit this agent`,
    why,
    fix: `to join under a new name: remove ${dir}, get a token (\`hvctl node token create --node <name>\`) and start the agent with --join`,
  });
}
