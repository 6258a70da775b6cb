/**
 * Starts the fake LLM API (tests/fake-llm-api/server.mjs) in a container of the workspace image: it makes its
 * own throw-away CA and a certificate for api.openai.com / api.anthropic.com, then serves 443 and 80.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { execInContainer, pollUntil, testDocker, testWorkspaceImage } from './server.js';

const fakeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fake-llm-api');

/** An uncompressed tar of `files` (path without leading `/` → content), root-owned, mode 0644, for putArchive at `/`. */
export async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644, uid: 0, gid: 0 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Creates and starts container `name` on `network` (under `aliases`), waits until it answers HTTPS, and
 * resolves the PEM of its test CA (what the proxy under test must trust for upstream servers).
 * @throws when it does not answer within 60 s.
 */
export async function startFakeLlmApi(options: {
  name: string;
  network: string;
  aliases?: string[];
  labels: Record<string, string>;
  docker?: Docker;
}): Promise<{ container: Docker.Container; caPem: string }> {
  const docker = options.docker ?? testDocker();
  const container = await docker.createContainer({
    name: options.name,
    Image: testWorkspaceImage(),
    // Root for the low ports; certificates first, then the server.
    User: '0',
    Entrypoint: ['/bin/sh', '-c', 'sh /fake/make-certs.sh /fake && exec node /fake/server.mjs /fake'],
    Cmd: [],
    Labels: options.labels,
    HostConfig: { NetworkMode: options.network, CapDrop: ['NET_RAW'] },
    NetworkingConfig: { EndpointsConfig: { [options.network]: { Aliases: options.aliases ?? [] } } },
  });
  await container.putArchive(
    await tarOf({
      'fake/server.mjs': readFileSync(path.join(fakeDir, 'server.mjs')),
      'fake/make-certs.sh': readFileSync(path.join(fakeDir, 'make-certs.sh')),
    }),
    { path: '/' },
  );
  await container.start();
  const caPem = await pollUntil(
    async () => {
      const probe = await execInContainer(options.name, ['curl', '-s', '--cacert', '/fake/ca.pem', '--resolve', 'api.openai.com:443:127.0.0.1', 'https://api.openai.com/'], {}, docker);
      return probe.stdout.startsWith('ok') ? (await execInContainer(options.name, ['cat', '/fake/ca.pem'], {}, docker)).stdout : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, description: 'fake LLM API up' },
  );
  return { container, caPem };
}
