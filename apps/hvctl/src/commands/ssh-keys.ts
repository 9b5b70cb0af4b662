/** Reads the public keys `--ssh-key auto|FILE` names (manifest/ssh-keys.ts puts them into VMs). */
import { readdir, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { SSH_KEY_LINE, SSH_KEY_MAX } from '@hvs/domain';
import type { v1 } from '@hvs/proto';
import { cliError } from '../errors';
import type { CliIo } from '../io';
import { wireDocuments, type LoadedManifests } from '../manifest/read';
import { fillSshKeys, vmsWantingKeys } from '../manifest/ssh-keys';

export interface SshKeys {
  keys: string[];
  /** The files the keys came from, as shown to the user. */
  files: string[];
}

/**
 * `auto`: every `~/.ssh/*.pub` (sorted); anything else: that file. Only lines that are valid
 * OpenSSH public keys are taken (a private key named by mistake is refused, never sent).
 * A FILE without a key is an error; `auto` finding none returns no keys (the caller says how
 * to make one).
 */
export async function readSshKeys(choices: readonly string[], io: CliIo): Promise<SshKeys> {
  const home = io.env.HOME || os.homedir();
  const sshDir = path.join(home, '.ssh');
  const out: SshKeys = { keys: [], files: [] };
  for (const choice of choices) {
    const auto = choice === 'auto';
    const files = auto ? await pubFiles(sshDir) : [path.resolve(choice.replace(/^~(?=$|\/)/, home))];
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(f, 'utf8');
      } catch (e) {
        if (auto) continue;
        throw cliError('HVS-CLI-SSH-KEY-UNREADABLE', `--ssh-key ${choice}: ${(e as Error).message}`, 'name a public key file (e.g. ~/.ssh/id_ed25519.pub), or use --ssh-key auto', 'the key is read from that file', 'InvalidArgument');
      }
      const keys = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length <= SSH_KEY_MAX && SSH_KEY_LINE.test(l));
      if (keys.length === 0 && !auto) {
        throw cliError('HVS-CLI-SSH-KEY-INVALID', `--ssh-key ${choice} holds no OpenSSH public key`, 'name the .pub file (ssh-ed25519 AAAA... lines), never the private key', 'only public key lines are put into cloud-init', 'InvalidArgument');
      }
      if (keys.length === 0) continue;
      for (const k of keys) if (!out.keys.includes(k)) out.keys.push(k);
      out.files.push(f.startsWith(`${home}/`) ? `~/${path.relative(home, f)}` : f);
    }
  }
  return out;
}

async function pubFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.pub')).sort().map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

/**
 * The documents to send with `--ssh-key` applied: the keys go into every VM that wants them
 * (manifest/ssh-keys.ts), and stderr says which files were used for which VMs, or, when
 * `auto` found none, how to make a key.
 */
export async function withSshKeys(io: CliIo, loaded: LoadedManifests, choices: readonly string[]): Promise<v1.Document[]> {
  if (choices.length === 0) return loaded.wire;
  const { keys, files } = await readSshKeys(choices, io);
  const wanting = vmsWantingKeys(loaded.documents).map((d) => String((d.doc as { metadata?: { name?: unknown } }).metadata?.name));
  if (wanting.length === 0) {
    io.err('hvctl: --ssh-key: no VM here has spec.cloudInit without SSH keys or userData; nothing added\n');
    return loaded.wire;
  }
  if (keys.length === 0) {
    io.err(`hvctl: --ssh-key: no SSH public key found in ~/.ssh/*.pub, so ${wanting.join(', ')} get none and cannot be logged into over SSH.\n`
      + '  Create one with: ssh-keygen -t ed25519   (then apply again)\n');
    return loaded.wire;
  }
  const filled = fillSshKeys(loaded.documents, keys);
  io.err(`hvctl: SSH key${keys.length === 1 ? '' : 's'} from ${files.join(', ')} put into spec.cloudInit.sshAuthorizedKeys of ${filled.join(', ')}\n`);
  return wireDocuments(loaded.documents);
}
