// Live-migration figures (prints them; asserts nothing): N live migrations of the tiny TCG guest
// back and forth between two libvirt hosts in network namespaces, through the built
// LibvirtDriver.migrate (p2p, persistent, undefine source; the product's defaults unless an
// option below says otherwise). Per run: the wall time of the migrate call, libvirt's job time
// and the downtime from the source's job-completed event; then p50/p95, and the load average.
// Options (see bench/README.md):
//   --runs N  --memory MiB  --copy-storage (16 MiB qcow2 disk copied each hop)
//   --max-downtime MS (default 100; 0 = QEMU's 300)  --no-auto-converge  --postcopy
//   --bandwidth MiB/s  --parallel N (multifd connections)  --xml tiny|lean|pc|product
//   --pause-ms MS (idle between hops)  --trace (libvirtd debug logs: where the downtime goes)
//   lab-only: --tcp-buffer-max BYTES (netns TCP autotuning cap)  --run-tmpfs (tmpfs /run/libvirt/qemu)
const { readFile, rm } = require('node:fs/promises');
const { loadavg } = require('node:os');
const { resolve } = require('node:path');

const root = resolve(__dirname, '../..');
const { LibvirtDriver } = require(resolve(root, 'apps/node-agent/dist/hypervisor/index.js'));
const { startTwoHosts } = require(resolve(root, 'bench/dist/migration-lab/test/harness/two-hosts.js'));
const guest = require(resolve(root, 'bench/dist/migration-lab/test/system/tiny-guest.js'));
const { guestXml } = require('./guest-xml.js');
const trace = require('./trace.js');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const raw = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const opt = (name, dflt) => (raw(name) !== undefined ? Number(raw(name)) : dflt);
const RUNS = opt('runs', 10);
const COPY = flag('copy-storage');
const MAX_DOWNTIME = opt('max-downtime', 100);
const MEMORY = opt('memory', 128);
const XML = raw('xml') ?? 'tiny';
const PAUSE_MS = opt('pause-ms', 0);
const TRACE = flag('trace');
const LAB = { tcpBufferMax: opt('tcp-buffer-max', undefined), runTmpfs: flag('run-tmpfs') };
const MIGRATE = {
  autoConverge: !flag('no-auto-converge'),
  postCopy: flag('postcopy'),
  ...(MAX_DOWNTIME > 0 ? { maxDowntimeMs: MAX_DOWNTIME } : {}),
  ...(raw('bandwidth') !== undefined ? { bandwidthMiBs: opt('bandwidth') } : {}),
  ...(raw('parallel') !== undefined ? { parallelConnections: opt('parallel') } : {}),
};
const NAME = 'hvs-bench-migrate';

function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');

async function main() {
  const files = await guest.buildTinyGuest(root);
  const t0 = Date.now();
  const hosts = await startTwoHosts();
  const stopAll = async () => {
    for (const d of drivers) await d.close().catch(() => undefined);
    await hosts.stop();
  };
  process.once('SIGINT', () => stopAll().finally(() => process.exit(130)));
  const drivers = [hosts.a, hosts.b].map((h) => new LibvirtDriver({ uri: h.uri, domainType: 'qemu' }));
  try {
    console.log(`hosts up in ${Date.now() - t0} ms (${hosts.a.address} <-> ${hosts.b.address}); load ${load()}`);
    for (const h of [hosts.a, hosts.b]) {
      await trace.tweakHost(h, LAB);
      if (TRACE) trace.enableDebugLog(h);
    }
    let xml = guestXml(XML, NAME, files, MEMORY);
    if (COPY) {
      const disk = /\n\s*<disk [\s\S]*?<\/disk>/.exec(guest.tinyGuestXml(NAME, files, MEMORY))[0];
      xml = xml.replace('<emulator>/usr/bin/qemu-system-x86_64</emulator>', `<emulator>/usr/bin/qemu-system-x86_64</emulator>${disk}`);
      await guest.createDisk(hosts.a, NAME);
    }
    await drivers[0].define(NAME, xml);
    await drivers[0].start(NAME);
    await until('the guest to tick', async () => guest.lastTick(await guest.readSerial(hosts.a, NAME)) >= 1, 120_000);
    console.log(`guest ticking on A after ${Date.now() - t0} ms; ${RUNS} migrations, ${MEMORY} MiB, xml ${XML}, copy storage ${COPY}, `
      + `options ${JSON.stringify(MIGRATE)}, lab ${JSON.stringify(LAB)}, pause ${PAUSE_MS} ms`);

    const rows = [];
    const loadBefore = load();
    const tRuns = Date.now();
    for (let i = 0; i < RUNS; i++) {
      if (PAUSE_MS) await new Promise((r) => setTimeout(r, PAUSE_MS));
      const from = i % 2;
      const to = 1 - from;
      const [source, target] = from ? [hosts.b, hosts.a] : [hosts.a, hosts.b];
      const at = TRACE ? trace.mark(source, target) : undefined;
      const t = Date.now();
      let done;
      for await (const p of drivers[from].migrate(NAME, target.tcpUri, {
        live: true, persistent: true, undefineSource: true, copyStorage: COPY, ...MIGRATE, pollMs: 250, statsUri: target.uri,
      })) if (p.phase === 'completed') done = p;
      const callMs = Date.now() - t;
      const info = await drivers[to].get(NAME);
      if (info?.state !== 'running') throw new Error(`run ${i + 1}: ${NAME} is ${info?.state ?? 'absent'} on the target`);
      if (COPY) {
        // libvirt leaves the copied-from disk behind; remove it so the next hop back copies again.
        await rm(source.pathOnHost(guest.diskPath(NAME)), { force: true });
        await source.run('virsh', ['-q', '-c', 'qemu:///system', 'pool-refresh', 'default']);
      }
      const phases = at ? trace.phasesOf(source, target, at) : {};
      rows.push({ callMs, jobMs: done?.elapsedMs ?? NaN, downtimeMs: done?.downtimeMs ?? NaN, ...phases });
      console.log(`run ${i + 1}: ${from ? 'B->A' : 'A->B'} call ${callMs} ms, job ${done?.elapsedMs} ms, downtime ${done?.downtimeMs} ms`
        + (at ? ` ${JSON.stringify(phases)}` : ''));
    }
    const totalMs = Date.now() - tRuns;
    const last = [hosts.a, hosts.b][RUNS % 2];
    const log = await readFile(last.pathOnHost(guest.serialLogPath(NAME)), 'utf8').catch(() => '');
    console.log(`guest still ticking on ${RUNS % 2 ? 'B' : 'A'}: last tick ${guest.lastTick({ ticks: [...log.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])) })}`);
    const col = (k) => rows.map((r) => r[k]).filter((v) => Number.isFinite(v));
    console.log(`\n${RUNS} migrations in ${(totalMs / 1000).toFixed(1)} s; load average before ${loadBefore}, after ${load()}`);
    const keys = [['migrate call', 'callMs'], ['libvirt job', 'jobMs'], ['downtime', 'downtimeMs'], ...(TRACE ? trace.PHASES.map((k) => [k, k]) : [])];
    for (const [label, k] of keys) {
      const v = col(k);
      if (v.length) console.log(`${label.padEnd(21)} p50 ${pct(v, 50)} ms  p95 ${pct(v, 95)} ms  min ${Math.min(...v)} ms  max ${Math.max(...v)} ms`);
    }
  } finally {
    await stopAll();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
