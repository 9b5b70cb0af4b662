/**
 * xmllint (libxml2) as an independent XML parser for tests: well-formedness and XPath string
 * values. Called with execFileSync and an argument array (no shell); the document goes in a temp
 * file that the caller's afterAll removes. A spec that uses it is a medium-tier spec: without
 * xmllint it fails saying how to install it (`npm test` does), it never skips the check.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from '../../../../test/harness/binaries';

let xmllintPath: string | undefined;
const xmllint = (): string => (xmllintPath ??= requireBinary('xmllint', 'libxml2-utils'));

export class XmlScratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'hvs-xml-'));
  private n = 0;

  write(xml: string): string {
    const file = join(this.dir, `doc-${this.n++}.xml`);
    writeFileSync(file, xml);
    return file;
  }

  /** Throws with xmllint's diagnostics when the document is not well-formed. */
  checkWellFormed(xml: string): void {
    const file = this.write(xml);
    const r = spawnSync(xmllint(), ['--noout', '--nonet', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`xmllint rejected ${file}: ${r.stderr}`);
  }

  /** XPath `string(expr)` as libxml2 computes it. */
  xpathString(xml: string, expr: string): string {
    const file = this.write(xml);
    const out = execFileSync(xmllint(), ['--nonet', '--xpath', `string(${expr})`, file], { encoding: 'utf8' });
    return out.endsWith('\n') ? out.slice(0, -1) : out;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
