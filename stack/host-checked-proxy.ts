import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { hostAccepted } from '../web/server/auth/loopback.js';

/** Sent on every answer of a proxied service: it may not be framed nor have its types sniffed. */
export const PROXY_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
export const FRAME_ANCESTORS_POLICY = "frame-ancestors 'none'";

export interface HostCheckedProxyOptions {
  /** What the service is, for the refusal: "the Temporal UI". */
  what: string;
  host: string;
  port: number;
  target: { host: string; port: number };
}

export interface HostCheckedProxy {
  close(): Promise<void>;
}

/**
 * Puts a service that answers any Host (the Temporal UI and HTTP API) behind a loopback Host check:
 * on a loopback bind, a request whose Host is not 127.0.0.1, [::1] or a localhost name (a page whose
 * name was rebound to 127.0.0.1) gets 421 and never reaches the service. Only the name is checked,
 * not the port, so an SSH port forward keeps working. Bodies stream both ways, and so do upgrades.
 */
export async function startHostCheckedProxy(options: HostCheckedProxyOptions): Promise<HostCheckedProxy> {
  const server = http.createServer((req, res) => {
    if (!hostAccepted(options.host, req.headers.host)) {
      res.writeHead(421, { ...PROXY_SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end(refusal(options, req.headers.host));
      return;
    }
    forward(options, req, res);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!hostAccepted(options.host, req.headers.host)) {
      const text = refusal(options, req.headers.host);
      socket.end(
        `HTTP/1.1 421 Misdirected Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
      return;
    }
    tunnel(options, req, socket, head);
  });
  server.listen({ host: options.host, port: options.port, exclusive: true });
  await once(server, 'listening');
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function refusal({ what, host }: HostCheckedProxyOptions, hostHeader: string | undefined): string {
  return (
    `${what} listens on ${host} and answers only to 127.0.0.1, [::1] or localhost, ` +
    `not to the Host ${JSON.stringify(hostHeader ?? '')}.\n`
  );
}

function forward(options: HostCheckedProxyOptions, req: http.IncomingMessage, res: http.ServerResponse) {
  const upstream = http.request(
    { host: options.target.host, port: options.target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, withSecurityHeaders(answer.headers));
      answer.pipe(res);
      answer.once('error', () => res.destroy());
    },
  );
  upstream.once('error', (error) => {
    if (res.headersSent) return res.destroy();
    res.writeHead(502, { ...PROXY_SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${options.what} is not answering (${error.message}).\n`);
  });
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** The service's headers with framing and sniffing forbidden; its own CSP is kept and narrowed. */
function withSecurityHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const policy = headers['content-security-policy'];
  const answer: http.OutgoingHttpHeaders = { ...headers, ...PROXY_SECURITY_HEADERS };
  // Comma-separated policies are each enforced: the service's own and ours.
  answer['content-security-policy'] = [policy ?? [], FRAME_ANCESTORS_POLICY].flat().join(', ');
  return answer;
}

function tunnel(options: HostCheckedProxyOptions, req: http.IncomingMessage, socket: Duplex, head: Buffer) {
  const upstream = net.connect(options.target.port, options.target.host, () => {
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket).pipe(upstream);
  });
  const end = () => {
    upstream.destroy();
    socket.destroy();
  };
  upstream.once('error', end);
  socket.once('error', end);
  socket.once('close', end);
}
