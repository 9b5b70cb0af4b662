// Where a migration's downtime goes, from the two libvirtd debug logs (bench --trace).
// enableDebugLog turns on qemu/libvirt debug logging in a running lab host through virt-admin
// (its admin socket is in the host's own /run); phasesOf reads the log lines written during one
// migration on both hosts and returns milliseconds between the steps that make up the downtime:
//   src STOP -> src device   libvirt's pause-before-switchover round trip (query-migrate, migrate-continue)
//   device -> dst completed  QEMU: last dirty pages + device state sent, loaded by the target QEMU
//   dst completed -> src completed  the source QEMU sees the return path close, emits its event
//   src completed -> dst Finish     the source libvirtd's Finish3 RPC reaches the target
//   dst Finish -> dst cont          libvirt's Finish on the target (refresh, query-chardev, qom-list, query-block)
//   cont -> RESUME                  the target QEMU starts its vCPUs
const { execFileSync } = require('node:child_process');
const { openSync, readSync, fstatSync, closeSync } = require('node:fs');
const { join } = require('node:path');

const LOG = 'libvirtd-debug.log';
const FILTERS = '1:qemu 1:libvirt 3:rpc 3:object 3:json 3:event 3:util 3:security 3:cpu 3:capabilities 3:conf';

function enableDebugLog(host) {
  const uri = `libvirtd:///system?socket=${join(host.dir, 'run/libvirt/libvirt-admin-sock')}`;
  execFileSync('virt-admin', ['-q', '-c', uri, 'daemon-log-filters', FILTERS]);
  execFileSync('virt-admin', ['-q', '-c', uri, 'daemon-log-outputs', `1:file:/var/log/libvirt/${LOG}`]);
}

const logPath = (host) => host.pathOnHost(`/var/log/libvirt/${LOG}`);

function size(path) {
  try {
    const fd = openSync(path, 'r');
    try { return fstatSync(fd).size; } finally { closeSync(fd); }
  } catch { return 0; }
}

function readFrom(path, offset) {
  const fd = openSync(path, 'r');
  try {
    const n = fstatSync(fd).size - offset;
    const buf = Buffer.alloc(Math.max(0, n));
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally { closeSync(fd); }
}

/** Log offsets of both hosts now (call before a migration). */
const mark = (src, dst) => ({ src: size(logPath(src)), dst: size(logPath(dst)) });

const stamp = (line) => {
  const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\+0000/.exec(line);
  return m ? Date.parse(`${m[1].replace(' ', 'T')}Z`) : NaN;
};
// QEMU's own event timestamp (microseconds) when the line carries one, else the log's (ms).
const eventTime = (line) => {
  const m = /"seconds": (\d+), "microseconds": (\d+)\}, "event"/.exec(line);
  return m ? Number(m[1]) * 1000 + Number(m[2]) / 1000 : stamp(line);
};
function first(lines, re) {
  const l = lines.find((x) => re.test(x));
  return l === undefined ? NaN : eventTime(l);
}

function phasesOf(src, dst, at) {
  const s = readFrom(logPath(src), at.src).split('\n').filter((l) => l.includes('QEMU_MONITOR_RECV_EVENT') || l.includes('QEMU_MONITOR_SEND_MSG') || l.includes('qemuMigrationDstFinish:'));
  const d = readFrom(logPath(dst), at.dst).split('\n').filter((l) => l.includes('QEMU_MONITOR_RECV_EVENT') || l.includes('QEMU_MONITOR_SEND_MSG') || l.includes('qemuMigrationDstFinish:'));
  const t = {
    stop: first(s, /RECV_EVENT.*"event": "STOP"/),
    device: first(s, /"status": "device"/),
    dstCompleted: first(d, /RECV_EVENT.*"status": "completed"/),
    srcCompleted: first(s, /RECV_EVENT.*"status": "completed"/),
    finish: first(d, /qemuMigrationDstFinish:/),
    cont: first(d, /"execute":"cont"/),
    resume: first(d, /RECV_EVENT.*"event": "RESUME"/),
  };
  const r = (a, b) => Math.round((t[b] - t[a]) * 10) / 10;
  return {
    stopToDevice: r('stop', 'device'),
    deviceToDstCompleted: r('device', 'dstCompleted'),
    dstToSrcCompleted: r('dstCompleted', 'srcCompleted'),
    srcCompletedToFinish: r('srcCompleted', 'finish'),
    finishToCont: r('finish', 'cont'),
    contToResume: r('cont', 'resume'),
    stopToResume: r('stop', 'resume'),
  };
}

/**
 * Lab-only tweaks for A/B experiments (never product behaviour):
 * tcpBufferMax: cap TCP autotuning in the host's network namespace (net.ipv4.tcp_rmem/wmem max);
 * runTmpfs: a tmpfs on the host's /run/libvirt/qemu, where libvirtd fsyncs the domain's status
 * XML on every job phase change (the harness binds /run to a dir on the lab's ext4 disk, a real
 * host's /run is tmpfs).
 */
async function tweakHost(host, { tcpBufferMax, runTmpfs }) {
  const must = async (cmd, args) => {
    const r = await host.run(cmd, args);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} on ${host.name}: ${r.stderr}`);
  };
  if (tcpBufferMax) {
    await must('sysctl', ['-q', '-w', `net.ipv4.tcp_rmem=4096 131072 ${tcpBufferMax}`, `net.ipv4.tcp_wmem=4096 16384 ${tcpBufferMax}`]);
  }
  if (runTmpfs) await must('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'hvs-run-qemu', '/run/libvirt/qemu']);
}

const PHASES = ['stopToDevice', 'deviceToDstCompleted', 'dstToSrcCompleted', 'srcCompletedToFinish', 'finishToCont', 'contToResume', 'stopToResume'];

module.exports = { enableDebugLog, mark, phasesOf, tweakHost, PHASES };
