/**
 * The pure parts of LibvirtDriver.migrate: the virsh arguments per option, the figures parsed
 * from domjobinfo and from the job-completed event (texts as libvirt 9.0 prints them), and the
 * HVS-LIBVIRT-MIGRATE-* classification. The real migration runs in test/system.
 */
import { HvsError } from '@hvs/domain';
import { migrateArgs, migrationError, parseJobCompletedEvent } from '../../src/hypervisor/libvirt-virsh-abilities';
import { parseJobInfo } from '../../src/hypervisor/virsh';

const MiB = 1024 * 1024;

describe('migration parsing and mapping', () => {
  it('migrates live, p2p, persistent and undefines the source by default; options add or drop flags', () => {
    expect(migrateArgs('vm', 'qemu+tcp://b/system', {})).toEqual(
      ['migrate', '--p2p', '--verbose', '--live', '--persistent', '--undefinesource', 'vm', 'qemu+tcp://b/system']);
    const args = migrateArgs('vm', 'qemu+tcp://b/system', {
      live: false, persistent: false, undefineSource: false, copyStorage: true, autoConverge: true, postCopy: true, timeoutSeconds: 30,
    });
    expect(args).not.toEqual(expect.arrayContaining(['--live']));
    expect(args).not.toEqual(expect.arrayContaining(['--persistent']));
    expect(args).not.toEqual(expect.arrayContaining(['--undefinesource']));
    expect(args).toEqual(expect.arrayContaining(['--copy-storage-all', '--auto-converge', '--postcopy', '--postcopy-after-precopy', '--timeout', '30']));
    expect(args.slice(-2)).toEqual(['vm', 'qemu+tcp://b/system']);
  });

  it('passes a bandwidth cap and multifd connections only when asked; one connection adds nothing', () => {
    expect(migrateArgs('vm', 'qemu+tcp://b/system', {})).not.toEqual(expect.arrayContaining(['--bandwidth']));
    expect(migrateArgs('vm', 'qemu+tcp://b/system', { parallelConnections: 1 })).not.toEqual(expect.arrayContaining(['--parallel']));
    const args = migrateArgs('vm', 'qemu+tcp://b/system', { bandwidthMiBs: 64, parallelConnections: 2 });
    expect(args.slice(args.indexOf('--bandwidth'), args.indexOf('--bandwidth') + 2)).toEqual(['--bandwidth', '64']);
    expect(args.slice(args.indexOf('--parallel'), args.indexOf('--parallel') + 3)).toEqual(['--parallel', '--parallel-connections', '2']);
    expect(args.slice(-2)).toEqual(['vm', 'qemu+tcp://b/system']);
  });

  it('reads memory, disk, dirty rate and iteration from a running domjobinfo', () => {
    const text = [
      'Job type:         Unbounded', 'Operation:        Outgoing migration', 'Time elapsed:     4719         ms',
      'Data processed:   85.069 MiB', 'Data remaining:   524.000 KiB', 'Data total:       144.508 MiB',
      'Memory processed: 69.069 MiB', 'Memory remaining: 524.000 KiB', 'Memory total:     128.508 MiB',
      'Memory bandwidth: 52.624 MiB/s', 'Dirty rate:       25           pages/s', 'Page size:        4096         bytes',
      'Iteration:        3', 'File processed:   16.000 MiB', 'File total:       16.000 MiB', 'Expected downtime: 100          ms',
    ].join('\n');
    expect(parseJobInfo(text, false)).toEqual({
      phase: 'running', elapsedMs: 4719,
      dataProcessedBytes: Math.round(85.069 * MiB), dataRemainingBytes: 524 * 1024, dataTotalBytes: Math.round(144.508 * MiB),
      memoryProcessedBytes: Math.round(69.069 * MiB), memoryRemainingBytes: 524 * 1024, memoryTotalBytes: Math.round(128.508 * MiB),
      bandwidthBytesPerSec: Math.round(52.624 * MiB), dirtyRateBytesPerSec: 25 * 4096, iteration: 3,
      diskProcessedBytes: 16 * MiB, diskTotalBytes: 16 * MiB, expectedDowntimeMs: 100,
    });
    // The storage phase of copy-storage reports only the elapsed time.
    expect(parseJobInfo('Job type:         Unbounded\nOperation:        Outgoing migration\nTime elapsed:     133          ms', false))
      .toEqual({ phase: 'running', elapsedMs: 133 });
  });

  it('reads downtime and totals from the job-completed event', () => {
    const text = [
      "event 'job-completed' for domain 'tiny1':", '\toperation: 5', '\ttime_elapsed: 4960', '\tdowntime: 294',
      '\tdata_total: 151527424', '\tdata_processed: 89738478', '\tdata_remaining: 0', '\tmemory_total: 134750208',
      '\tmemory_processed: 72961262', '\tmemory_remaining: 0', '\tmemory_bps: 85827018', '\tmemory_dirty_rate: 2',
      '\tmemory_iteration: 4', '\tmemory_page_size: 4096', '\tdisk_total: 16777216', '\tdisk_processed: 16777216', 'events received: 1',
    ].join('\n');
    expect(parseJobCompletedEvent(text)).toEqual({
      phase: 'completed', elapsedMs: 4960, downtimeMs: 294, dataTotalBytes: 151527424, dataProcessedBytes: 89738478,
      dataRemainingBytes: 0, memoryTotalBytes: 134750208, memoryProcessedBytes: 72961262, memoryRemainingBytes: 0,
      bandwidthBytesPerSec: 85827018, dirtyRateBytesPerSec: 8192, iteration: 4, diskTotalBytes: 16777216, diskProcessedBytes: 16777216,
    });
    expect(parseJobCompletedEvent('')).toBeUndefined();
    expect(parseJobCompletedEvent("event 'lifecycle' for domain 'x': Stopped Migrated")).toBeUndefined();
  });

  it('names the cause of a failed migration, keeps libvirt\'s words and says how to fix it', () => {
    const src = 'qemu:///system';
    const dest = 'qemu+tcp://10.77.1.2/system';
    const unreachable = migrationError(new Error("error: unable to connect to server at '10.77.1.2:16509': No route to host"), 'vm', src, dest);
    expect(unreachable).toBeInstanceOf(HvsError);
    expect(unreachable).toMatchObject({ code: 'HVS-LIBVIRT-MIGRATE-TARGET-UNREACHABLE', category: 'Unavailable' });
    expect(unreachable.message).toContain(dest);
    expect(unreachable.why).toContain('No route to host');
    expect(unreachable.fix).toContain(`virsh -c ${dest} uri`);

    const storage = migrationError(new Error('Storage pool not found: no storage pool with matching target path'), 'vm', src, dest);
    expect(storage).toMatchObject({ code: 'HVS-LIBVIRT-MIGRATE-STORAGE', category: 'FailedPrecondition' });

    const other = migrationError(new HvsError({ code: 'HVS-LIBVIRT-INVALID-STATE', category: 'FailedPrecondition', message: 'm', why: 'domain is not running', fix: 'f' }), 'vm', src, dest);
    expect(other).toMatchObject({ code: 'HVS-LIBVIRT-MIGRATE-FAILED', category: 'FailedPrecondition', why: expect.stringContaining('domain is not running') });
  });
});
