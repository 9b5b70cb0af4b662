/**
 * `-f FILE|DIR|-` handling: which files, their text, and the local parse + validation that
 * gives file:line errors before anything is sent. The controller validates again (it is
 * the authority); this pass only makes mistakes cheap.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HvsError, isHvsError, loadManifests, MAX_INPUT_BYTES, type AnyResource, type ManifestDocument, type ManifestFile } from '@hvs/domain';
import type { v1 } from '@hvs/proto';
import { cliError } from '../errors';
import { inputTooLarge, readBounded, type CliIo } from '../io';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/**
 * Files named by -f, in a stable order: as given, directories expanded sorted (recursively with -R).
 * All inputs together are read up to MAX_INPUT_BYTES (the largest input the manifest parser
 * takes), files, devices, pipes and stdin alike: past it, HVS-CLI-INPUT-TOO-LARGE.
 */
export async function readManifestFiles(paths: readonly string[], recursive: boolean, io: CliIo, maxBytes = MAX_INPUT_BYTES): Promise<ManifestFile[]> {
  if (paths.length === 0) throw cliError('HVS-CLI-NO-FILES', 'no manifest given', 'name one with -f FILE, -f DIR or -f - (standard input)', undefined, 'InvalidArgument');
  const files: ManifestFile[] = [];
  let left = maxBytes;
  const take = (fileName: string, text: string) => {
    left -= Buffer.byteLength(text);
    files.push({ fileName, text });
  };
  const tooLarge = (what: string) => (left < maxBytes ? inputTooLarge(`${what} with the manifests before it`, maxBytes) : inputTooLarge(what, maxBytes));
  for (const p of paths) {
    if (p === '-') {
      take('-', await io.readStdin(left).catch((e: unknown) => Promise.reject(isHvsError(e) && e.code === 'HVS-CLI-INPUT-TOO-LARGE' ? tooLarge('standard input') : e)));
      continue;
    }
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw cliError('HVS-CLI-FILE-NOT-FOUND', `the manifest path ${p} does not exist`, 'check the path given to -f', undefined, 'NotFound');
    }
    const names = st.isDirectory() ? listDir(p, recursive) : [p];
    if (st.isDirectory() && names.length === 0) {
      throw cliError('HVS-CLI-NO-MANIFESTS', `the directory ${p} holds no .yaml, .yml or .json files${recursive ? '' : ' at its top level'}`,
        recursive ? 'point -f at a directory with manifests' : 'add -R to look in subdirectories too', undefined, 'InvalidArgument');
    }
    for (const name of names) {
      try {
        take(name, await readBounded(fs.createReadStream(name), left, name));
      } catch (e) {
        if (isHvsError(e) && e.code === 'HVS-CLI-INPUT-TOO-LARGE') throw tooLarge(name);
        throw cliError('HVS-CLI-FILE-UNREADABLE', `cannot read the manifest ${name}`, 'check its permissions', (e as Error).message);
      }
    }
  }
  return files;
}

function listDir(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive) out.push(...listDir(full, true));
    } else if (MANIFEST_EXT.test(entry.name)) out.push(full);
  }
  return out;
}

export interface LoadedManifests {
  resources: AnyResource[];
  documents: ManifestDocument[];
  /** What Apply/Plan take: the raw documents with their file, 0-based index and line. */
  wire: v1.Document[];
}

/** Parses and validates all files as one batch; throws one HvsError listing every problem. */
export function loadLocal(files: readonly ManifestFile[]): LoadedManifests {
  const r = loadManifests(files);
  if (!r.ok) {
    const first = r.problems[0]!;
    throw new HvsError({ ...first, category: 'InvalidArgument', problems: r.problems });
  }
  if (r.documents.length === 0) {
    throw cliError('HVS-CLI-NO-DOCUMENTS', `no documents in ${files.map((f) => f.fileName).join(', ')}`, 'the files are empty or hold only comments: add a manifest', undefined, 'InvalidArgument');
  }
  return { resources: r.resources, documents: r.documents, wire: wireDocuments(r.documents) };
}

/** The documents as Apply/Plan take them (again after a change such as ssh-keys.ts fillSshKeys). */
export function wireDocuments(documents: readonly ManifestDocument[]): v1.Document[] {
  return documents.map((d) => ({ manifestJson: JSON.stringify(d.doc), source: d.file, index: d.index - 1, line: d.line }));
}
