import type http from 'node:http';

/** The largest request body the API reads: far more than any procedure's input needs. */
export const MAX_BODY_BYTES = 1_000_000;

/** The message of a 413, in words. */
export function tooLargeMessage(limit: number): string {
  return `The request body is over the API's limit of ${limit} bytes: send less (text fields have limits far below it).`;
}

/**
 * Refuses, before reading a byte of it, a request whose Content-Length says its body is over
 * `limit`: 413 in the tRPC error shape, and the connection closed so the rest is never read. A body
 * of no declared length (chunked) is counted as it streams, by the tRPC handler (`maxBodySize`).
 * True when the request was refused.
 */
export function refuseDeclaredOversize(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  limit: number = MAX_BODY_BYTES,
): boolean {
  const declared = req.headers['content-length'];
  if (declared === undefined) return false;
  const length = Number(declared);
  if (Number.isFinite(length) && length <= limit) return false;
  sendTooLarge(res, limit);
  return true;
}

/**
 * Once a 413 is sent, the rest of the body is not worth reading: the connection is cut a moment
 * later (the moment lets the client read the answer first).
 */
export function cutAfterTooLarge(req: http.IncomingMessage, res: http.ServerResponse, graceMs = 200): void {
  res.once('finish', () => {
    if (res.statusCode === 413 && !req.complete) setTimeout(() => req.socket.destroy(), graceMs).unref();
  });
}

/** A 413 with the tRPC error shape, closing the connection. */
export function sendTooLarge(res: http.ServerResponse, limit: number = MAX_BODY_BYTES): void {
  const body = JSON.stringify({
    error: {
      message: tooLargeMessage(limit),
      code: -32600,
      data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 },
    },
  });
  res.writeHead(413, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}
