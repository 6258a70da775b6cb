/**
 * One HTTP request to a loopback server with an explicit Host header (fetch cannot set it), for tests of
 * host-dependent routing (participant vs admin hosts, `/git/`).
 */
import http from 'node:http';

/** The answer: status, headers and the body as text. */
export interface HostResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** `GET path` on `127.0.0.1:port` with `Host: host` and `headers`. @throws the socket's error. */
export function getWithHost(port: number, host: string, path: string, headers: Record<string, string> = {}): Promise<HostResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
