/**
 * Where `hvctl user create` keeps a user's credential: <hvctl config dir>/users/<context>/<user>/
 * (0700), holding <user>.key (0600, made on this machine, never sent), <user>.crt and ca.crt.
 * Files are written whole (temp file + rename) and the key is 0600 from its first byte
 * (@hvs/pki's writeFileAtomic), so a crash never leaves a readable partial key.
 */
import * as path from 'node:path';
import { CERT_MODE, ensurePrivateDir, KEY_MODE, writeFileAtomic } from '@hvs/pki';
import { configPath } from './contexts';

export interface UserFiles {
  dir: string;
  keyFile: string;
  certFile: string;
  caFile: string;
}

/** The paths for `user` created through `contextName` (its folder may not exist yet). */
export function userFiles(env: NodeJS.ProcessEnv, contextName: string, user: string): UserFiles {
  const dir = path.join(path.dirname(configPath(env)), 'users', folderName(contextName), user);
  return { dir, keyFile: path.join(dir, `${user}.key`), certFile: path.join(dir, `${user}.crt`), caFile: path.join(dir, 'ca.crt') };
}

/** Creates the folder (0700, also when it existed wider) before the controller is asked, so a failure here costs nothing. */
export function prepareUserDir(files: UserFiles): void {
  ensurePrivateDir(path.dirname(files.dir));
  ensurePrivateDir(files.dir);
}

export function writeUserFiles(files: UserFiles, pem: { keyPem: string; certPem: string; caPem: string }): void {
  writeFileAtomic(files.keyFile, pem.keyPem, KEY_MODE);
  writeFileAtomic(files.certFile, pem.certPem, CERT_MODE);
  writeFileAtomic(files.caFile, pem.caPem, CERT_MODE);
}

/** The context name as a folder: "(default)" (no contexts file) becomes "default". */
export function folderName(contextName: string): string {
  return contextName.replace(/[^A-Za-z0-9._@-]/g, '') || 'default';
}
