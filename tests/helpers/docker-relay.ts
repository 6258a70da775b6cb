/**
 * A relay in front of the real Docker engine for integration tests: a unix socket in a fresh temporary
 * directory whose every connection is piped to /var/run/docker.sock. A server pointed at it (`dockerHost`)
 * talks to the real engine, yet the test can cut the engine away and bring it back (simulating Docker
 * stopping and starting), or watch the raw bytes the client sends (dockerode speaks plain HTTP/1.1 over the
 * socket, so request lines can be read from them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The real engine's socket (Docker's default; see COMMON rules: the engine here listens there). */
const ENGINE_SOCKET = '/var/run/docker.sock';

/** Options of `startDockerRelay`. */
export interface DockerRelayOptions {
  /**
   * Called with every chunk a client (the server under test) sends towards the engine, before it is
   * forwarded unchanged. Chunks are as read from the socket: one may hold several HTTP requests (keep-alive)
   * or part of one.
   */
  onClientData?: (chunk: Buffer) => void;
}

/** A running relay. */
export interface DockerRelay {
  /** Absolute path of the relay's unix socket, e.g. `/tmp/xares-docker-relay-AbC123/docker.sock`. */
  socketPath: string;
  /** The same as a Docker host URL for the server config: `unix://<socketPath>`. */
  dockerHost: string;
  /**
   * Takes the engine away: destroys every open connection (both sides) and stops listening, so the socket
   * file is gone and new connections are refused. Resolves once the listener is closed; a no-op when cut.
   */
  cut(): Promise<void>;
  /** Brings the engine back: listens on the same `socketPath` again. A no-op while already listening. */
  restore(): Promise<void>;
  /** `cut()` for good and removes the temporary directory. Never throws. */
  close(): Promise<void>;
}

/**
 * Starts a relay listening on a new unix socket that pipes each connection to the real engine.
 *
 * @returns the relay, already listening.
 * @throws if the socket cannot be listened on (e.g. the temporary directory is not writable).
 */
export async function startDockerRelay({ onClientData }: DockerRelayOptions = {}): Promise<DockerRelay> {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-docker-relay-'));
  const socketPath = path.join(dir, 'docker.sock');
  const open = new Set<net.Socket>();
  let server: net.Server | null = null;

  const restore = () =>
    new Promise<void>((resolve, reject) => {
      if (server) return resolve();
      const listening = net.createServer((client) => {
        const upstream = net.connect(ENGINE_SOCKET);
        open.add(client).add(upstream);
        if (onClientData) client.on('data', onClientData);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          open.delete(client);
          open.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server = listening;
      listening.once('error', (error) => {
        server = null;
        reject(error);
      });
      listening.listen(socketPath, () => resolve());
    });

  const cut = () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      open.clear();
      const listening = server;
      server = null;
      if (!listening) return resolve();
      listening.close(() => resolve());
    });

  await restore();
  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    cut,
    restore,
    async close() {
      await cut();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
