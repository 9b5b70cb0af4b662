/** ANSI colour as a value: a Palette with `enabled=false` returns text untouched. */
export interface Palette {
  enabled: boolean;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const wrap = (on: boolean, open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);

export function palette(enabled: boolean): Palette {
  return {
    enabled,
    green: wrap(enabled, 32, 39),
    red: wrap(enabled, 31, 39),
    yellow: wrap(enabled, 33, 39),
    bold: wrap(enabled, 1, 22),
    dim: wrap(enabled, 2, 22),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Printable width: escape codes take no columns. */
export function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/** Colours a status word: healthy/running green, failing red, in-between yellow. */
export function colourStatus(p: Palette, status: string): string {
  if (/^(Running|Ready|True|healthy|ok|Succeeded|created|configured)$/i.test(status)) return p.green(status);
  if (/^(Failed|Error|NotReady|False|unhealthy|dead|Unknown|Crashed)$/i.test(status)) return p.red(status);
  if (status === '' || status === '<none>') return status;
  return p.yellow(status);
}
