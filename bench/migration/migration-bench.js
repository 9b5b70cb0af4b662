// Live-migration figures (prints them; asserts nothing): N live migrations of the tiny TCG guest
// back and forth between two libvirt hosts in network namespaces, through the built
// LibvirtDriver.migrate (p2p, persistent, undefine source, auto-converge, max downtime). Per run:
// the wall time of the migrate call, libvirt's job time and the downtime from the source's
// job-completed event; then p50/p95. With --copy-storage the guest has a 16 MiB qcow2 disk in
// each host's own pool, copied on every hop. See bench/README.md.
const { readFile, rm } = require('node:fs/promises');
const { resolve } = require('node:path');

const root = resolve(__dirname, '../..');
const { LibvirtDriver } = require(resolve(root, 'apps/node-agent/dist/hypervisor/index.js'));
const { startTwoHosts } = require(resolve(root, 'bench/dist/migration-lab/test/harness/two-hosts.js'));
const guest = require(resolve(root, 'bench/dist/migration-lab/test/system/tiny-guest.js'));

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : dflt;
};
const RUNS = opt('runs', 10);
const COPY = flag('copy-storage');
const MAX_DOWNTIME = opt('max-downtime', 100);
const MEMORY = opt('memory', 128);
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
    console.log(`hosts up in ${Date.now() - t0} ms (${hosts.a.address} <-> ${hosts.b.address})`);
    const xml = guest.tinyGuestXml(NAME, files, MEMORY).replace(COPY ? /$^/ : /\n\s*<disk [\s\S]*?<\/disk>/, '');
    if (COPY) await guest.createDisk(hosts.a, NAME);
    await drivers[0].define(NAME, xml);
    await drivers[0].start(NAME);
    await until('the guest to tick', async () => guest.lastTick(await guest.readSerial(hosts.a, NAME)) >= 1, 120_000);
    console.log(`guest ticking on A after ${Date.now() - t0} ms; ${RUNS} migrations, ${MEMORY} MiB, max downtime ${MAX_DOWNTIME} ms, copy storage ${COPY}`);

    const rows = [];
    const tRuns = Date.now();
    for (let i = 0; i < RUNS; i++) {
      const from = i % 2;
      const to = 1 - from;
      const target = [hosts.a, hosts.b][to];
      const t = Date.now();
      let done;
      for await (const p of drivers[from].migrate(NAME, target.tcpUri, {
        live: true, persistent: true, undefineSource: true, copyStorage: COPY, autoConverge: true,
        maxDowntimeMs: MAX_DOWNTIME, pollMs: 250, statsUri: target.uri,
      })) if (p.phase === 'completed') done = p;
      const callMs = Date.now() - t;
      const info = await drivers[to].get(NAME);
      if (info?.state !== 'running') throw new Error(`run ${i + 1}: ${NAME} is ${info?.state ?? 'absent'} on the target`);
      if (COPY) {
        // libvirt leaves the copied-from disk behind; remove it so the next hop back copies again.
        const source = [hosts.a, hosts.b][from];
        await rm(source.pathOnHost(guest.diskPath(NAME)), { force: true });
        await source.run('virsh', ['-q', '-c', 'qemu:///system', 'pool-refresh', 'default']);
      }
      rows.push({ callMs, jobMs: done?.elapsedMs ?? NaN, downtimeMs: done?.downtimeMs ?? NaN });
      console.log(`run ${i + 1}: ${from ? 'B->A' : 'A->B'} call ${callMs} ms, job ${done?.elapsedMs} ms, downtime ${done?.downtimeMs} ms`);
    }
    const totalMs = Date.now() - tRuns;
    const last = [hosts.a, hosts.b][RUNS % 2];
    const log = await readFile(last.pathOnHost(guest.serialLogPath(NAME)), 'utf8').catch(() => '');
    console.log(`guest still ticking on ${RUNS % 2 ? 'B' : 'A'}: last tick ${guest.lastTick({ ticks: [...log.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])) })}`);
    const col = (k) => rows.map((r) => r[k]).filter((v) => Number.isFinite(v));
    console.log(`\n${RUNS} migrations in ${(totalMs / 1000).toFixed(1)} s`);
    for (const [label, k] of [['migrate call', 'callMs'], ['libvirt job', 'jobMs'], ['downtime', 'downtimeMs']]) {
      const v = col(k);
      console.log(`${label.padEnd(13)} p50 ${pct(v, 50)} ms  p95 ${pct(v, 95)} ms  min ${Math.min(...v)} ms  max ${Math.max(...v)} ms`);
    }
  } finally {
    await stopAll();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
