/**
 * Requests node's HTTP parser refuses before Express sees them (an unknown method such as
 * `FOO`, a malformed request line or header, headers over the size limit). Node answers those
 * with a bare status and no body; here they get the API's JSON error body like every other
 * refusal (HVS-API-HTTP-MALFORMED), then the connection closes, as node's own answer does.
 */
import type { Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { HvsError } from '@hvs/domain';
import { toHttpError } from '../../errors';

function statusFor(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/** Installs the coded answer on `server` (once, at startup). */
export function answerMalformedHttp(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Nothing to answer: the client is gone, or an answer is already under way on this socket.
    if (err.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const status = statusFor(err.code);
    const body = JSON.stringify(toHttpError(new HvsError({
      code: 'HVS-API-HTTP-MALFORMED', category: 'InvalidArgument',
      message: `the request is not valid HTTP/1.1 (answered ${status} ${STATUS_CODES[status]})`,
      why: 'its method, request line or headers are malformed, or its headers are too large',
      fix: 'send a standard HTTP request (GET, POST or DELETE, headers under 16 KiB); see /api/v1/openapi.json',
    })).body);
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
