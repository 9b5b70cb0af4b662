// Node agent figures (prints them; asserts nothing): idle RSS and CPU of the agent process with
// 0 and N VMs on libvirt's test driver, read from /proc/<pid>/status (VmRSS) and
// /proc/<pid>/stat (utime+stime) over a window; and reconcile throughput: VMs/s from one Assign
// until Watch reports every VM Running (each VM with a 64 MiB qcow2 volume made by qemu-img).
// Runs the built agent (apps/node-agent/dist/main.js) as its own process. See bench/README.md.
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { credentials, Metadata } = require('@grpc/grpc-js');
const { agentv1, toProtoObject } = require('@hvs/proto');

const root = resolve(__dirname, '../..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const IDLE_S = Number(args['idle-seconds'] ?? 30);
const IDLE_VMS = Number(args['vms'] ?? 50);
const THROUGHPUT = String(args['throughput'] ?? '50,100').split(',').map(Number).filter((n) => n > 0);
const TICKS = 100; // getconf CLK_TCK on Linux

function writeNodeXml(path, poolDir) {
  const xml = `<node><cpu><mhz>2000</mhz><model>x86_64</model><active>64</active><nodes>1</nodes><sockets>1</sockets><cores>64</cores><threads>1</threads></cpu><memory>${512 * 1024 * 1024}</memory><pool type='dir'><name>default</name><target><path>${poolDir}</path></target></pool></node>\n`;
  require('node:fs').writeFileSync(path, xml);
}

async function launch(dir) {
  const poolDir = join(dir, 'pool');
  writeNodeXml(join(dir, 'node.xml'), poolDir);
  const child = spawn(process.execPath, [join(root, 'apps/node-agent/dist/main.js')], {
    env: { ...process.env, HVS_NODE_NAME: 'bench', HVS_LIBVIRT_URI: `test://${join(dir, 'node.xml')}`, HVS_AGENT_STATE_DIR: join(dir, 'state'), HVS_AGENT_POOLS: `default=${poolDir}`, HVS_AGENT_LISTEN: '127.0.0.1:0', HVS_AGENT_METRICS_LISTEN: '127.0.0.1:0', HVS_LOG_LEVEL: 'info' },
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
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssKiB, ticks: Number(f[11]) + Number(f[12]) }; // utime, stime
}

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
  const cpuPct = ((end.ticks - start.ticks) / TICKS / wall) * 100;
  return { rssMiB: rss.reduce((a, b) => a + b, 0) / rss.length / 1024, rssMaxMiB: Math.max(...rss) / 1024, cpuPct, seconds: wall };
}

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
  console.log(`node agent bench: libvirt test driver, idle window ${IDLE_S} s, node ${process.version}`);
  const idle0 = await withAgent((a) => idle(a.child.pid, IDLE_S));
  console.log(`idle, 0 VMs:  RSS ${fmt(idle0.rssMiB)} MiB (max ${fmt(idle0.rssMaxMiB)}), CPU ${fmt(idle0.cpuPct, 2)} % of a core`);
  await withAgent(async (a) => {
    const t = await assignAndWait(a.address, IDLE_VMS);
    console.log(`converge ${IDLE_VMS} VMs: ${fmt(t.seconds, 2)} s (${fmt(t.vmsPerSecond)} VMs/s)`);
    await new Promise((r) => setTimeout(r, 3000)); // let the burst's garbage settle before measuring idle
    const idleN = await idle(a.child.pid, IDLE_S);
    console.log(`idle, ${IDLE_VMS} VMs: RSS ${fmt(idleN.rssMiB)} MiB (max ${fmt(idleN.rssMaxMiB)}), CPU ${fmt(idleN.cpuPct, 2)} % of a core`);
  });
  for (const n of THROUGHPUT) {
    const t = await withAgent((a) => assignAndWait(a.address, n));
    console.log(`throughput: ${n} VMs Running in ${fmt(t.seconds, 2)} s = ${fmt(t.vmsPerSecond)} VMs/s`);
  }
})().catch((e) => {
  console.error(`agent bench failed: ${e.stack ?? e}`);
  process.exit(1);
});
