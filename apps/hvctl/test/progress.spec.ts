import { Progress } from '../src/printers/progress';
import { fakeIo } from './fake-io';

describe('progress for long waits', () => {
  it('on a terminal rewrites one spinner line with the elapsed time, and clears it at the end', async () => {
    const io = fakeIo({ tty: true });
    const p = new Progress(io);
    p.update('waiting for 2 VM(s)');
    await io.sleep(1500);
    p.update('waiting for 1 VM(s)');
    p.done();
    expect(io.stderr()).toBe('\r\u001b[K/ waiting for 2 VM(s) (0.0s)\r\u001b[K- waiting for 1 VM(s) (1.5s)\r\u001b[K');
  });

  it('elsewhere prints a plain line only when the message changes', async () => {
    const io = fakeIo();
    const p = new Progress(io);
    p.update('waiting for 2 VM(s)');
    await io.sleep(500);
    p.update('waiting for 2 VM(s)');
    await io.sleep(70_000);
    p.update('waiting for 1 VM(s)');
    p.done();
    expect(io.stderr()).toBe('waiting for 2 VM(s) (0.0s)\nwaiting for 1 VM(s) (1m10s)\n');
  });
});
