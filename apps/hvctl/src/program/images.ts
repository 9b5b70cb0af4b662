/** The tree of `hvctl image`; commands/images.ts does the work, loaded when one runs. */
import type { Command } from 'commander';
import type { ImageGetOpts, ImageImportOpts } from '../commands/images';
import type { Runtime } from '../commands/runtime';

export function registerImages(program: Command, rt: Runtime): void {
  const image = program.command('image').alias('images').description('list, inspect and import disk images (docs/images.md)');
  image.command('get').argument('[name]')
    .description('list Images (NAME FORMAT SIZE DIGEST PHASE NODES), or show one')
    .option('-w, --watch', 'keep showing, with a progress bar per node downloading (bytes/total, rate, ETA); with NAME: until every copy is Ready or Failed')
    .option('-o, --output <format>', 'json, yaml or name (then as `hvctl get images`)')
    .option('--no-headers', 'the table without the header line')
    .addHelpText('after', '\nExamples:\n  hvctl image get\n  hvctl image get debian-12 -w')
    .action(async (name: string | undefined, opts: ImageGetOpts & { headers?: boolean }) =>
      (await import('../commands/images.js')).runImageGet(rt, name, { ...opts, noHeaders: opts.headers === false }));
  image.command('describe').argument('<name>')
    .description('show one Image: spec, status, events and each node\'s copy (progress, digests)')
    .action(async (name: string) => (await import('../commands/images.js')).runImageDescribe(rt, name));
  image.command('import').argument('<file>', 'the image file (read and streamed, never loaded whole)')
    .description('upload a local image file through the controller; its sha256 is computed during the upload and recorded')
    .option('--name <name>', 'the Image to create or update (required)')
    .option('--format <format>', 'qcow2, raw or iso; default from the extension (.qcow2, .img/.raw, .iso)')
    .option('--sha256 <hex>', 'the digest the file must have (the upload fails and nothing is kept when it differs)')
    .addHelpText('after', '\nExamples:\n  hvctl image import debian-12.qcow2 --name debian-12\n  hvctl image import disk.bin --name scratch --format raw --sha256 $(sha256sum disk.bin | cut -d" " -f1)')
    .action(async (file: string, opts: ImageImportOpts) => (await import('../commands/images.js')).runImageImport(rt, file, opts));
}
