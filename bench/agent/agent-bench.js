// Node agent figures (prints them; asserts nothing): idle RSS and CPU of the agent process with
// 0 and N VMs on libvirt's test driver, read from /proc/<pid>/status (VmRSS, RssAnon, RssFile)
// and /proc/<pid>/stat (utime+stime; cutime+cstime for its children, e.g. qemu-img) over a
// window that starts after the agent settled; and reconcile throughput: VMs/s from one Assign
// until Watch reports every VM Running (each VM with a 64 MiB qcow2 volume made by qemu-img).
// Runs the built agent (apps/node-agent/dist/main.js) as its own process, with the same node
// flags `hvctl up` uses (AGENT_NODE_ARGS). See bench/README.md.
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { credentials, Metadata } = require('@grpc/grpc-js');
const { agentv1, toProtoObject } = require('@hvs/proto');

/**
 * The agent runs as `hvctl up` starts it (apps/hvctl/src/local/components.ts; keep them equal):
 * these node flags (docs/node-agent.md, "Resource use") and UV_THREADPOOL_SIZE=12 unless set.
 */
const AGENT_NODE_ARGS = ['--max-semi-space-size=1', '--no-opt'];
const AGENT_UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE ?? '12';

const root = resolve(__dirname, '../..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const IDLE_S = Number(args['idle-seconds'] ?? 30);
const SETTLE_S = Number(args['settle-seconds'] ?? 15);
const IDLE_VMS = Number(args['vms'] ?? 50);
const RUNS = Number(args['runs'] ?? 1);
const THROUGHPUT = String(args['throughput'] ?? '50,100').split(',').map(Number).filter((n) => n > 0);
// --node-args "" runs the agent with no node flags (the defaults), for comparison.
const NODE_ARGS = args['node-args'] !== undefined ? String(args['node-args']).split(' ').filter(Boolean) : AGENT_NODE_ARGS;
// --agent <main.js> runs another build of the agent (e.g. a copy of dist/ from before a change), for A/B figures.
const AGENT_MAIN = resolve(String(args['agent'] ?? join(root, 'apps/node-agent/dist/main.js')));
const TICKS = 100; // getconf CLK_TCK on Linux

function writeNodeXml(path, poolDir) {
  const xml = `<node><cpu><mhz>2000</mhz><model>x86_64</model><active>64</active><nodes>1</nodes><sockets>1</sockets><cores>64</cores><threads>1</threads></cpu><memory>${512 * 1024 * 1024}</memory><pool type='dir'><name>default</name><target><path>${poolDir}</path></target></pool></node>\n`;
  require('node:fs').writeFileSync(path, xml);
}

async function launch(dir) {
  const poolDir = join(dir, 'pool');
  writeNodeXml(join(dir, 'node.xml'), poolDir);
  const child = spawn(process.execPath, [...NODE_ARGS, AGENT_MAIN], {
    env: { ...process.env, UV_THREADPOOL_SIZE: AGENT_UV_THREADPOOL_SIZE, HVS_NODE_NAME: 'bench', HVS_LIBVIRT_URI: `test://${join(dir, 'node.xml')}`, HVS_AGENT_STATE_DIR: join(dir, 'state'), HVS_AGENT_POOLS: `default=${poolDir}`, HVS_AGENT_LISTEN: '127.0.0.1:0', HVS_AGENT_METRICS_LISTEN: '127.0.0.1:0', HVS_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const address = await new Promise((ok, fail) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"listen":"([^"]+)".*"msg":"node agent started"/.exec(out);
      if (m) ok(m[1]);
    });
    child.once('exit', (c) => fail(new Error(`agent exited ${c}: ${out}`)));
  });
  child.stdout.resume();
  return { child, address };
}

function proc(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)[1]);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime; cutime, cstime (children the agent waited for: qemu-img, virsh)
  return { rssKiB: kib('VmRSS'), anonKiB: kib('RssAnon'), fileKiB: kib('RssFile'), ticks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) };
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function idle(pid, seconds) {
  const start = proc(pid);
  const t0 = process.hrtime.bigint();
  const rss = [];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    rss.push(proc(pid).rssKiB);
  }
  const end = proc(pid);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const pct = (ticks) => (ticks / TICKS / wall) * 100;
  return {
    rssMiB: rss.reduce((a, b) => a + b, 0) / rss.length / 1024, rssMaxMiB: Math.max(...rss) / 1024, anonMiB: end.anonKiB / 1024, fileMiB: end.fileKiB / 1024,
    cpuPct: pct(end.ticks - start.ticks), childCpuPct: pct(end.childTicks - start.childTicks), seconds: wall, load: load(),
  };
}

const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));

function vm(i, disk) {
  const uid = `be000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  return toProtoObject({ apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: `vm-${i}`, uid, generation: 1 }, spec: { cpu: { cores: 1 }, memory: { size: '64MiB' }, disks: disk ? [{ name: 'root', size: '64MiB' }] : [], networks: [], runState: 'Running' } });
}

async function assignAndWait(address, n) {
  const client = new agentv1.AgentClient(address, credentials.createInsecure());
  const running = new Set();
  const stream = client.watch({ controllerId: 'bench' });
  let done;
  const all = new Promise((r) => (done = r));
  stream.on('data', (e) => {
    const ev = e.event;
    const vms = ev?.$case === 'snapshot' ? ev.value.vms : ev?.$case === 'vm' ? [ev.value] : [];
    for (const v of vms) (v.phase === 'Running' ? running.add(v.uid) : running.delete(v.uid));
    if (running.size === n) done();
  });
  stream.on('error', () => undefined);
  const t0 = process.hrtime.bigint();
  await new Promise((ok, fail) => client.assign({ node: 'bench', generation: 1, fencingToken: 1, vms: Array.from({ length: n }, (_, i) => ({ vm: vm(i + 1, true), secrets: {}, firewallPolicies: [] })), networks: [], firewallPolicies: [], images: [], storagePools: [], peers: [], fenceAfterMs: 0 }, new Metadata(), (e, r) => (e ? fail(e) : ok(r))));
  await all;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  stream.cancel();
  client.close();
  return { seconds: s, vmsPerSecond: n / s };
}

async function withAgent(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'hvs-agent-bench-'));
  const a = await launch(dir);
  try {
    return await fn(a);
  } finally {
    a.child.kill('SIGTERM');
    await new Promise((r) => a.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  const fmt = (x, d = 1) => x.toFixed(d);
  const line = (label, r) => console.log(`${label}: RSS ${fmt(r.rssMiB)} MiB (max ${fmt(r.rssMaxMiB)}; anon ${fmt(r.anonMiB)}, file ${fmt(r.fileMiB)}), CPU ${fmt(r.cpuPct, 2)} % of a core (+ children ${fmt(r.childCpuPct, 2)} %), load ${r.load}`);
  console.log(`node agent bench: libvirt test driver, node ${process.version} ${NODE_ARGS.join(' ') || '(no node flags)'}, settle ${SETTLE_S} s, idle window ${IDLE_S} s, ${RUNS} run(s)`);
  for (let run = 1; run <= RUNS; run++) {
    const tag = RUNS > 1 ? ` [run ${run}]` : '';
    await withAgent(async (a) => {
      await sleep(SETTLE_S); // start-up's lazy compilation and GC tail are not idle cost
      line(`idle, 0 VMs${tag}`, await idle(a.child.pid, IDLE_S));
    });
    if (IDLE_VMS > 0) {
      await withAgent(async (a) => {
        const t = await assignAndWait(a.address, IDLE_VMS);
        console.log(`converge ${IDLE_VMS} VMs${tag}: ${fmt(t.seconds, 2)} s (${fmt(t.vmsPerSecond)} VMs/s)`);
        await sleep(SETTLE_S);
        line(`idle, ${IDLE_VMS} VMs${tag}`, await idle(a.child.pid, IDLE_S));
      });
    }
  }
  for (const n of THROUGHPUT) {
    const t = await withAgent((a) => assignAndWait(a.address, n));
    console.log(`throughput: ${n} VMs Running in ${fmt(t.seconds, 2)} s = ${fmt(t.vmsPerSecond)} VMs/s (load ${load()})`);
  }
})().catch((e) => {
  console.error(`agent bench failed: ${e.stack ?? e}`);
  process.exit(1);
});
