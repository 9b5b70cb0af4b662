/**
 * Reading apply/plan requests: `{documents: [{content, file?}], dryRun?, fieldManager?,
 * prune?}` as JSON (parsed by the app's 1 MiB JSON body parser), or raw YAML/JSON manifests
 * with Content-Type application/yaml exactly (read here under the same 1 MiB limit; options
 * then come from the query string and the file name from the `x-hvs-file` header). Any other
 * content type never gets here (http-policy.ts answers 415).
 */
import { HvsError } from '@hvs/domain';
import { mediaTypeOf } from './http-policy';
import type { ApplyOptions } from '../../services/resource.service';
import type { SourceDocument } from '../../services/batch-input';
import { MAX_REQUEST_BYTES } from '../../services/errors';
import { ANONYMOUS_CONTEXT, type CallContext } from '../../services/call-context';

export interface RequestLike extends AsyncIterable<Buffer> {
  headers: Record<string, string | string[] | undefined>;
  /** Set by RestAuthentication before any route runs. */
  hvsContext?: CallContext;
  body?: unknown;
  query: Record<string, unknown>;
}

export interface ManifestRequest {
  sources: SourceDocument[];
  options: ApplyOptions;
}

/** The verified caller (RestAuthentication); anonymous only if that middleware did not run, which every service then refuses. */
export function contextOf(req: RequestLike): CallContext {
  return req.hvsContext ?? ANONYMOUS_CONTEXT;
}

export async function manifestRequest(req: RequestLike): Promise<ManifestRequest> {
  const type = String(req.headers['content-type'] ?? '');
  const q = req.query;
  if (mediaTypeOf(type) === 'application/yaml') {
    const file = typeof req.headers['x-hvs-file'] === 'string' ? req.headers['x-hvs-file'] : 'request';
    return { sources: [{ content: await readText(req), file }], options: { dryRun: flag(q.dryRun), fieldManager: str(q.fieldManager), prune: str(q.prune) } };
  }
  const body = req.body as { documents?: unknown; dryRun?: unknown; fieldManager?: unknown; prune?: unknown } | undefined;
  const docs = body?.documents;
  if (!Array.isArray(docs) || !docs.every((d) => typeof d?.content === 'string' && (d.file === undefined || typeof d.file === 'string'))) {
    throw new HvsError({
      code: 'HVS-API-BODY-INVALID', category: 'InvalidArgument', path: 'documents',
      message: 'the request body has no valid documents list',
      why: 'apply and plan take {"documents": [{"content": "<YAML or JSON text>", "file": "<name>"}]} or raw YAML with Content-Type: application/yaml',
      fix: 'send the manifests in that shape (hvctl does this for you)',
    });
  }
  return {
    sources: (docs as { content: string; file?: string }[]).map((d) => ({ content: d.content, file: d.file })),
    options: { dryRun: body?.dryRun === true || flag(q.dryRun), fieldManager: str(body?.fieldManager) ?? str(q.fieldManager), prune: str(body?.prune) ?? str(q.prune) },
  };
}

/** `1`, `true`, or present-and-empty (`?dryRun`). */
export function flag(v: unknown): boolean {
  return v === '' || v === '1' || v === 'true' || v === true;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The same error the JSON body parser raises, so the app's filter answers 413 HVS-API-REQUEST-TOO-LARGE. */
function tooLarge(): Error {
  return Object.assign(new Error('request entity too large'), { type: 'entity.too.large', limit: MAX_REQUEST_BYTES, status: 413 });
}

async function readText(req: RequestLike): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_REQUEST_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += chunk.length;
    if (total > MAX_REQUEST_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
