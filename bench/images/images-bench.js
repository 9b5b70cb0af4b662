// Image cache figures (prints them; asserts nothing). See bench/README.md, "images".
// 1. Download + verify throughput of the agent's ImageCache (http, sha256 while streaming,
//    written to .partial, renamed into sha256/<hex>, index updated) against
//    `curl -s URL | sha256sum` of the same file from the same local server (a separate
//    process), alternating, side by side in one run; the ratio is cache / curl.
// 2. A VM disk from a cached image: the cheap check (lstat against the index), then the qcow2
//    overlay on the cached base resized to the disk size (qemu-img create), per disk.
const { execFile, spawn } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const { mkdtempSync, openSync, writeSync, closeSync, readFileSync, rmSync, mkdirSync } = require('node:fs');
const { tmpdir, cpus, loadavg } = require('node:os');
const { join, resolve } = require('node:path');
const { performance } = require('node:perf_hooks');
const { promisify } = require('node:util');
const { SystemClock } = require('@hvs/reconcile');

const root = resolve(__dirname, '../..');
const { ImageCache } = require(join(root, 'apps/node-agent/dist/images'));
const { CacheIndex } = require(join(root, 'apps/node-agent/dist/images/cache-index'));
const { VolumeSet } = require(join(root, 'apps/node-agent/dist/storage'));

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const MIB = Number(args.mib ?? 256);
const RUNS = Number(args.runs ?? 3);
const DISKS = Number(args.disks ?? 20);
const run = promisify(execFile);

function makeFile(path, mib) {
  const fd = openSync(path, 'w');
  const hash = createHash('sha256');
  const block = randomBytes(1 << 20);
  for (let i = 0; i < mib; i++) {
    block.writeUInt32LE(i, 0); // every MiB differs
    writeSync(fd, block);
    hash.update(block);
  }
  closeSync(fd);
  return hash.digest('hex');
}

async function startServer(file) {
  const child = spawn(process.execPath, [join(__dirname, 'file-server.js'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((ok) => child.stdout.once('data', (d) => ok(Number(String(d).trim()))));
  return { child, url: `http://127.0.0.1:${port}/img` };
}

// CPU seconds too (user+sys; GNU time for the pipeline, getrusage for this process's threads):
// on a shared machine the wall-clock rate depends on the load, the CPU cost does not.
async function curlSha(url) {
  const t0 = performance.now();
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', '%U %S', 'bash', '-c', `curl -s "${url}" | sha256sum`], { maxBuffer: 1 << 20 });
  const [u, s] = stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { ms: performance.now() - t0, hex: stdout.split(' ')[0], cpu: u + s };
}

async function cacheDownload(url, sha, dir) {
  const image = { apiVersion: 'hvs/v1', kind: 'Image', metadata: { name: 'bench' }, spec: { source: { url }, format: 'raw', sha256: sha } };
  const vm = { metadata: { name: 'vm', uid: 'u1' }, spec: { disks: [{ name: 'root', image: 'bench', size: '1GiB' }] } };
  let last;
  let tBody;
  let tFirst;
  const cache = new ImageCache({
    dir, clock: new SystemClock(), needs: { images: { bench: image }, desiredVms: () => [vm], imageDigests: () => ({}) },
    observed: { setImage: (o) => { last = o; if (o.phase === 'Downloading' && o.bytes === o.totalBytes && o.totalBytes > 0) tBody ??= performance.now(); if (o.phase === 'Downloading') tFirst ??= performance.now(); }, forgetImage: () => undefined, event: () => undefined },
    log: { info: () => undefined, warn: () => undefined },
  });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await cache.start();
  await cache.settled();
  const ms = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  if (process.env.BENCH_PHASES) console.log(`  phases: start->first byte ${(tFirst - t0).toFixed(0)} ms, body ${(tBody - tFirst).toFixed(0)} ms, body->Ready ${(t0 + ms - tBody).toFixed(0)} ms`);
  cache.stop();
  if (last?.phase !== 'Ready') throw new Error(`cache ended ${last?.phase}: ${last?.message}`);
  return { ms, hex: last.digest.slice('sha256:'.length), cpu: (c1.user + c1.system) / 1e6 };
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function throughput(work) {
  const file = join(work, 'image.raw');
  process.stdout.write(`generating ${MIB} MiB... `);
  const sha = makeFile(file, MIB);
  console.log('done');
  const server = await startServer(file);
  const rows = [];
  try {
    await curlSha(server.url); // warm the page cache
    for (let i = 0; i < RUNS; i++) {
      const c = await curlSha(server.url);
      const dir = join(work, `cache-${i}`);
      const h = await cacheDownload(server.url, sha, dir);
      rmSync(dir, { recursive: true, force: true });
      if (c.hex !== sha || h.hex !== sha) throw new Error('digest differs');
      rows.push({ curl: MIB / (c.ms / 1000), cache: MIB / (h.ms / 1000), ratio: c.ms / h.ms, curlCpu: c.cpu, cacheCpu: h.cpu });
      console.log(`run ${i + 1}: curl|sha256sum ${rows[i].curl.toFixed(0)} MiB/s (${c.cpu.toFixed(2)} s CPU), ImageCache ${rows[i].cache.toFixed(0)} MiB/s (${h.cpu.toFixed(2)} s CPU), ratio ${rows[i].ratio.toFixed(2)}`);
    }
  } finally {
    server.child.kill();
  }
  const median = (k) => pct(rows.map((r) => r[k]), 50);
  console.log(`median: curl|sha256sum ${median('curl').toFixed(0)} MiB/s, ImageCache ${median('cache').toFixed(0)} MiB/s, ratio ${median('ratio').toFixed(2)} (goal >= 0.9); CPU s per GiB: curl|sha256sum ${(median('curlCpu') * 1024 / MIB).toFixed(2)}, ImageCache ${(median('cacheCpu') * 1024 / MIB).toFixed(2)}`);
}

async function diskFromImage(work) {
  const images = join(work, 'disk-images');
  mkdirSync(join(images, 'sha256'), { recursive: true });
  const base = join(images, 'base.qcow2');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', base, String(2 * 1024 ** 3)]);
  const sha = createHash('sha256').update(readFileSync(base)).digest('hex');
  const cached = join(images, 'sha256', sha);
  require('node:fs').renameSync(base, cached);
  const index = new CacheIndex(images);
  await index.record(`sha256:${sha}`, require('node:fs').lstatSync(cached), Date.now());
  const set = new VolumeSet({ default: join(work, 'pool') }, images);
  await set.prepare();
  set.useImages(() => ({ base: { path: cached, format: 'qcow2' } }));
  const times = [];
  for (let i = 0; i < DISKS; i++) {
    const vm = { metadata: { name: `vm-${i}`, uid: `u${i}` }, spec: { disks: [{ name: 'root', image: 'base', size: '10GiB' }] } };
    const t0 = performance.now();
    if ((await index.cheapCheck(`sha256:${sha}`, cached)) !== 'ok') throw new Error('cheap check failed');
    await set.ensure(`u${i}`, vm, await set.images());
    times.push(performance.now() - t0);
  }
  console.log(`VM disk from a cached image (cheap check + overlay + resize to 10 GiB), ${DISKS} disks: p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (goal <= 200 ms)`);
}

(async () => {
  console.log(`machine: ${cpus().length} x ${cpus()[0].model}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
  const work = mkdtempSync(join(tmpdir(), 'hvs-images-bench-'));
  try {
    await throughput(work);
    await diskFromImage(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
