/**
 * Images for people: the `hvctl image get` table (NAME FORMAT SIZE DIGEST PHASE NODES), a
 * progress bar per node downloading (bytes/total, rate, ETA), and the upload progress of
 * `hvctl image import`. Pure: the commands decide where and how often to print.
 */
import { colourStatus, type Palette } from './colour';
import { formatBytes, renderTable } from './table';

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export interface ShownImage {
  metadata: { name: string };
  spec?: unknown;
  status?: unknown;
}

export interface NodeCopy {
  node: string;
  phase: string;
  bytes?: number;
  totalBytes?: number;
  bytesPerSecond?: number;
  etaSeconds?: number;
  reason?: string;
  message?: string;
  expectedDigest?: string;
  actualDigest?: string;
}

export function nodeCopies(img: ShownImage): NodeCopy[] {
  const nodes = rec(img.status).nodes;
  return Array.isArray(nodes) ? nodes.map((n) => rec(n)).map((n) => ({
    node: String(n.node ?? ''), phase: String(n.phase ?? 'Pending'), bytes: num(n.bytes), totalBytes: num(n.totalBytes), bytesPerSecond: num(n.bytesPerSecond),
    etaSeconds: num(n.etaSeconds), reason: str(n.reason), message: str(n.message), expectedDigest: str(n.expectedDigest), actualDigest: str(n.actualDigest),
  })) : [];
}

/** `sha256:0123456789ab…` (enough to tell images apart; describe shows it whole). */
export function shortDigest(d: string | undefined): string {
  if (!d) return '<none>';
  const [algo, hex = ''] = d.split(':');
  return hex.length > 12 ? `${algo}:${hex.slice(0, 12)}…` : d;
}

function digestOf(img: ShownImage): string | undefined {
  const s = rec(img.status);
  const spec = rec(img.spec);
  return str(s.digest) ?? (str(spec.sha256) ? `sha256:${String(spec.sha256)}` : str(spec.sha512) ? `sha512:${String(spec.sha512)}` : undefined);
}

export function renderImageTable(images: readonly ShownImage[], p: Palette, noHeaders = false): string {
  const rows = images.map((img) => {
    const s = rec(img.status);
    const nodes = nodeCopies(img);
    const ready = nodes.filter((n) => n.phase === 'Ready').length;
    const pinned = s.pinned === true ? ' (pinned)' : '';
    return [img.metadata.name, String(rec(img.spec).format ?? ''), formatBytes(num(s.sizeBytes)), `${shortDigest(digestOf(img))}${pinned}`,
      colourStatus(p, String(s.phase ?? 'Pending')), nodes.length === 0 ? (s.uploaded === true ? 'controller' : '<none>') : `${ready}/${nodes.length} ready`];
  });
  const table = renderTable(['NAME', 'FORMAT', 'SIZE', 'DIGEST', 'PHASE', 'NODES'], rows);
  return noHeaders ? table.split('\n').slice(1).join('\n') : table;
}

/** `[#########...........]  45%` with `width` cells. */
export function bar(done: number, total: number | undefined, width = 24): string {
  if (!total || total <= 0) return `[${'?'.repeat(width)}]    ?`;
  const f = Math.max(0, Math.min(1, done / total));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.floor(f * 100)).padStart(3)}%`;
}

export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined) return '?';
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line of progress: `<label> [####....]  45% 1.1GiB/2.5GiB 30MiB/s ETA 42s`. */
export function progressLine(label: string, bytes: number, total: number | undefined, bytesPerSecond?: number, etaSeconds?: number): string {
  const rate = bytesPerSecond !== undefined ? ` ${formatBytes(Math.round(bytesPerSecond))}/s` : '';
  const eta = etaSeconds !== undefined ? ` ETA ${formatEta(etaSeconds)}` : '';
  return `${label} ${bar(bytes, total)} ${formatBytes(bytes)}/${total ? formatBytes(total) : '?'}${rate}${eta}`;
}

/** A line per node copy downloading (or failed, with why), for `image get -w` and `apply --wait`. */
export function downloadLines(images: readonly ShownImage[]): string[] {
  const out: string[] = [];
  for (const img of images) {
    for (const n of nodeCopies(img)) {
      const label = `${img.metadata.name} on ${n.node}`;
      if (n.phase === 'Downloading') out.push(progressLine(label, n.bytes ?? 0, n.totalBytes, n.bytesPerSecond, n.etaSeconds));
      else if (n.phase === 'Failed') out.push(`${label} Failed${n.reason ? ` ${n.reason}` : ''}${n.message ? `: ${n.message}` : ''}${n.expectedDigest ? ` (expected ${n.expectedDigest}, got ${n.actualDigest ?? '?'})` : ''}`);
    }
  }
  return out;
}
