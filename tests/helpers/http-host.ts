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
  return requestWithHost(port, host, 'GET', path, { headers });
}

/** `method path` on `127.0.0.1:port` with `Host: host`, `headers` and an optional JSON body. @throws the socket's error. */
export function requestWithHost(
  port: number,
  host: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; json?: unknown } = {},
): Promise<HostResponse> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { host, ...options.headers, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
