/**
 * The migration link's bandwidth as an operator writes it on a Node (pure): the annotation
 * `hvs.dev/migration-bandwidth: 10Gbit` (or `1250MB`, `940Mbit/s`, `1.2GB/s`, `800MiB`). Bits
 * use decimal prefixes (network convention: 10Gbit = 1.25e9 bytes/s); bytes take decimal
 * (KB, MB, GB, TB) or binary (KiB, MiB, GiB, TiB) units; `/s` may follow; `Mbps` and `MBps`
 * are read as megabits and megabytes. A migration
 * runs at the slower of its two ends, so the estimate takes the smaller of source and target.
 */
import { HvsError } from '../errors';
import type { Node } from '../kinds/node';

export const MIGRATION_BANDWIDTH_ANNOTATION = 'hvs.dev/migration-bandwidth';

const BIT_UNITS: Record<string, number> = { bit: 1 / 8, kbit: 1e3 / 8, mbit: 1e6 / 8, gbit: 1e9 / 8, tbit: 1e12 / 8 };
const BYTE_UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };
const RE = /^([0-9]{1,9}(?:\.[0-9]{1,3})?)\s?([A-Za-z]+)$/;

/** Bytes/s for `10Gbit`, `1250MB`, `940Mbit/s`, `800MiB`; undefined when not a bandwidth. */
export function tryParseBandwidth(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.length > 32) return undefined;
  // `/s` is implied; `Mbps` is megabits, `MBps` megabytes.
  const m = RE.exec(v.trim().replace(/\/s$/, '').replace(/bps$/, 'bit').replace(/Bps$/, 'B'));
  if (!m) return undefined;
  const unit = m[2];
  const factor = BYTE_UNITS[unit] ?? BIT_UNITS[unit.toLowerCase()];
  const n = Number(m[1]) * (factor ?? NaN);
  return Number.isFinite(n) && n > 0 ? Math.round(n) : undefined;
}

/** Bytes/s; throws HVS-MIGRATION-BANDWIDTH-INVALID naming where the value came from. */
export function parseBandwidth(v: string, where = MIGRATION_BANDWIDTH_ANNOTATION): number {
  const n = tryParseBandwidth(v);
  if (n === undefined) {
    throw new HvsError({
      code: 'HVS-MIGRATION-BANDWIDTH-INVALID', category: 'InvalidArgument', path: where,
      message: `${JSON.stringify(String(v).slice(0, 64))} is not a bandwidth`,
      why: 'a bandwidth is a positive number with a unit: bits (bit, Kbit, Mbit, Gbit, Tbit) or bytes (B, KB, MB, GB, KiB, MiB, GiB), optionally followed by /s',
      fix: `write e.g. "10Gbit" or "1250MB": hvctl annotate node <name> ${MIGRATION_BANDWIDTH_ANNOTATION}=10Gbit --overwrite`,
    });
  }
  return n;
}

export interface LinkBandwidth {
  /** Bytes/s, undefined when neither node says. */
  bytesPerSecond?: number;
  /** Which node's annotation set it, or why none did; one sentence each. */
  notes: string[];
  /** Malformed annotations (the figure then comes from the other node or the assumption). */
  problems: HvsError[];
}

/** The smaller of the two nodes' annotated bandwidths; a malformed annotation is reported, not thrown. */
export function linkBandwidth(source: Node | undefined, target: Node | undefined): LinkBandwidth {
  const out: LinkBandwidth = { notes: [], problems: [] };
  let best: { node: string; bps: number } | undefined;
  for (const n of [source, target]) {
    const raw = n?.metadata.annotations?.[MIGRATION_BANDWIDTH_ANNOTATION];
    if (!n || raw === undefined) continue;
    try {
      const bps = parseBandwidth(raw, `node/${n.metadata.name}: metadata.annotations.${MIGRATION_BANDWIDTH_ANNOTATION}`);
      if (!best || bps < best.bps) best = { node: n.metadata.name, bps };
    } catch (e) {
      out.problems.push(e as HvsError);
      out.notes.push(`node ${n.metadata.name}: ${(e as HvsError).message} (${MIGRATION_BANDWIDTH_ANNOTATION}); ignored`);
    }
  }
  if (best) {
    out.bytesPerSecond = best.bps;
    out.notes.push(`link bandwidth ${(best.bps / 1e6).toFixed(0)} MB/s from node ${best.node}'s ${MIGRATION_BANDWIDTH_ANNOTATION} annotation`);
  }
  return out;
}
