// A plain static file server for the image bench, in its own process so that neither client
// shares an event loop with it: serves argv[2] at /img (Range supported), prints its port.
const { createReadStream, statSync } = require('node:fs');
const { createServer } = require('node:http');

const file = process.argv[2];
const size = statSync(file).size;
const server = createServer((req, res) => {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  res.writeHead(start > 0 ? 206 : 200, {
    'content-length': String(size - start), 'accept-ranges': 'bytes',
    ...(start > 0 ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
  });
  createReadStream(file, { start, highWaterMark: 1 << 20 }).pipe(res);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
