/**
 * One proxy container (squid or mitmproxy) of an instance: created on demand on its egress network plus the
 * confined workspace network (alias `xares-proxy`), given its files before every start, waited for until it
 * answers, and re-created when it is gone (issue #5). Small docker-exec and archive helpers live here too.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { execIn, type ExecResult } from '../runtime/container-exec.js';
import { LABEL_INSTANCE, LABEL_MANAGED, RuntimeUnavailableError } from '../runtime/workspace-runtime.js';

export { execIn, type ExecResult };
import { isConnectionError } from '../runtime/docker-runtime.js';
import { PROXY_ALIAS, type ProxyNetworks, type ProxyNetworkRole } from './proxy-networks.js';
import { packEntries, ROOT_OWNER } from '../services/templates.js';

/** Label with the proxy kind on our proxy containers. */
export const LABEL_PROXY = 'xares.proxy';

/** A file to place into a container: absolute path, content and mode (root-owned). */
export interface ContainerFile {
  path: string;
  content: string | Buffer;
  mode?: number;
}

/** What a proxy container is made of. */
export interface ProxyContainerSpec {
  kind: 'squid' | 'mitmproxy';
  /** Container name (instance-specific). */
  name: string;
  image: string;
  port: number;
  confined: Extract<ProxyNetworkRole, 'security' | 'logging'>;
  egress: Extract<ProxyNetworkRole, 'egress-squid' | 'egress-mitm'>;
  /** Named volumes: volume name → mount point. */
  volumes?: Record<string, string>;
  /** Files written before every start (the current state: users, whitelist, ...). */
  files: () => Promise<ContainerFile[]> | ContainerFile[];
  /** Command run with exec until it exits 0: the proxy answers. */
  readyCommand: string[];
}

/** The running proxy: its container id and its address on the confined network. */
export interface RunningProxy {
  id: string;
  address: string;
}


/** An uncompressed tar of `files` (paths relative to `/`, root-owned; Docker makes missing parent folders). */
export function packFiles(files: readonly ContainerFile[]): Promise<Buffer> {
  return packEntries(
    files.map((file) => {
      if (!file.path.startsWith('/') || file.path.includes('..')) throw new Error(`Not an absolute path: ${file.path}`);
      const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
      return { name: file.path.slice(1), type: 'file' as const, mode: file.mode ?? 0o644, content };
    }),
    new Date(),
    ROOT_OWNER,
  );
}

/** Writes `files` into a container (created, running or stopped; folders must exist). @throws the engine's error. */
export async function putFiles(docker: Docker, container: string, files: readonly ContainerFile[]): Promise<void> {
  if (files.length === 0) return;
  await docker.getContainer(container).putArchive(await packFiles(files), { path: '/' });
}

/**
 * The regular files of a `getArchive` tar stream whose base name passes `keep`, as `{name (base name), content}`.
 * @throws the stream's or the tar parser's error.
 */
export function extractFiles(stream: NodeJS.ReadableStream, keep: (name: string) => boolean = () => true): Promise<Array<{ name: string; content: Buffer }>> {
  return new Promise((resolve, reject) => {
    const files: Array<{ name: string; content: Buffer }> = [];
    const extract = tar.extract();
    extract.on('entry', (header, body, next) => {
      const name = header.name.split('/').pop() ?? '';
      const chunks: Buffer[] = [];
      body.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      body.on('end', () => {
        if (header.type === 'file' && keep(name)) files.push({ name, content: Buffer.concat(chunks) });
        next();
      });
      body.resume();
    });
    extract.on('finish', () => resolve(files));
    extract.on('error', reject);
    stream.pipe(extract);
  });
}

/** The content of one file in a container, or null when it does not exist. @throws the engine's other errors. */
export async function readFileFrom(docker: Docker, container: string, file: string): Promise<Buffer | null> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.getContainer(container).getArchive({ path: file });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
  return (await extractFiles(stream))[0]?.content ?? null;
}

/**
 * Keeps one proxy container of an instance alive. `ensure()` is idempotent and serialised; it returns the
 * proxy's address on its confined network.
 */
export class ProxyContainer {
  private pending: Promise<RunningProxy> | null = null;

  constructor(
    private readonly docker: Docker,
    private readonly networks: ProxyNetworks,
    private readonly instanceId: string,
    readonly spec: ProxyContainerSpec,
  ) {}

  /**
   * Makes sure the proxy runs and answers (creating, starting or re-creating it; its files are written before
   * every start) and resolves its address on the confined network.
   * @throws RuntimeUnavailableError when the engine is unreachable; Error with the reason when it does not come up.
   */
  ensure(): Promise<RunningProxy> {
    this.pending ??= this.ensureNow().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Current state without changing anything: its address when it runs, else null. Never throws. */
  async running(): Promise<RunningProxy | null> {
    try {
      const info = await this.docker.getContainer(this.spec.name).inspect();
      const address = info.NetworkSettings.Networks?.[this.networks.name(this.spec.confined)]?.IPAddress;
      return info.State.Running && address ? { id: info.Id, address } : null;
    } catch {
      return null;
    }
  }

  /** Writes files into the running (or stopped) proxy; false when it does not exist. @throws the engine's other errors. */
  async write(files: readonly ContainerFile[]): Promise<boolean> {
    try {
      await putFiles(this.docker, this.spec.name, files);
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
  }

  /** Runs a command in the proxy (root). @throws the engine's error (404 when it does not exist). */
  exec(cmd: string[], maxBytes?: number): Promise<ExecResult> {
    return execIn(this.docker, this.spec.name, cmd, { maxBytes });
  }

  /** Removes the container (forced). Never throws. */
  async remove(): Promise<void> {
    await this.docker.getContainer(this.spec.name).remove({ force: true }).catch(() => undefined);
  }

  private async ensureNow(): Promise<RunningProxy> {
    try {
      const confinedName = this.networks.name(this.spec.confined);
      const egressName = this.networks.name(this.spec.egress);
      let info = await this.inspect();
      if (info && info.State.Running) {
        const address = info.NetworkSettings.Networks?.[confinedName]?.IPAddress;
        if (address && info.NetworkSettings.Networks?.[egressName]) return { id: info.Id, address };
      }
      const [confinedId, egressId] = await Promise.all([this.networks.ensure(this.spec.confined), this.networks.ensure(this.spec.egress)]);
      // A container on the wrong (or vanished) networks is re-created rather than patched.
      const attached = info?.NetworkSettings.Networks ?? {};
      if (info && (attached[confinedName]?.NetworkID !== confinedId || attached[egressName]?.NetworkID !== egressId)) {
        await this.remove();
        info = null;
      }
      if (!info) await this.create(confinedId, egressId);
      await putFiles(this.docker, this.spec.name, await this.spec.files());
      try {
        await this.docker.getContainer(this.spec.name).start();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 304) throw error;
      }
      await this.waitReady();
      const started = await this.inspect();
      const address = started?.NetworkSettings.Networks?.[confinedName]?.IPAddress;
      if (!started?.State.Running || !address) throw new Error(`The ${this.spec.kind} proxy container stopped right after its start`);
      return { id: started.Id, address };
    } catch (error) {
      if (isConnectionError(error)) throw new RuntimeUnavailableError('Docker engine is not reachable');
      throw error;
    }
  }

  private async inspect(): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.docker.getContainer(this.spec.name).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }

  private async create(confinedId: string, egressId: string): Promise<void> {
    const binds = Object.entries(this.spec.volumes ?? {}).map(([volume, target]) => `${volume}:${target}`);
    for (const volume of Object.keys(this.spec.volumes ?? {})) {
      await this.docker
        .createVolume({ Name: volume, Labels: { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: this.instanceId, [LABEL_PROXY]: this.spec.kind } })
        .catch(() => undefined);
    }
    await this.docker.createContainer({
      name: this.spec.name,
      Image: this.spec.image,
      Labels: { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: this.instanceId, [LABEL_PROXY]: this.spec.kind },
      HostConfig: {
        // Egress first: the default route goes out through it.
        NetworkMode: egressId,
        Binds: binds,
        // No raw sockets (no ARP spoofing of workspaces); nothing to gain from setuid binaries.
        CapDrop: ['NET_RAW'],
        SecurityOpt: ['no-new-privileges:true'],
        RestartPolicy: { Name: 'no' },
        Memory: 512 * 1024 * 1024,
        PidsLimit: 512,
      },
    });
    await this.docker.getNetwork(confinedId).connect({ Container: this.spec.name, EndpointConfig: { Aliases: [PROXY_ALIAS] } });
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const result = await this.exec(this.spec.readyCommand);
        if (result.exitCode === 0) return;
        last = result.stderr.trim() || result.stdout.toString('utf8').trim();
      } catch (error) {
        last = (error as Error).message;
        const state = await this.inspect().catch(() => null);
        if (state && !state.State.Running) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const logs = await this.docker
      .getContainer(this.spec.name)
      .logs({ stdout: true, stderr: true, tail: 20 })
      .then((buffer) => (buffer as unknown as Buffer).toString('utf8').replace(/[\x00-\x08]/g, ''))
      .catch(() => '');
    throw new Error(`The ${this.spec.kind} proxy did not come up within 30 s${last ? ` (${last.slice(0, 200)})` : ''}${logs ? `: ${logs.trim().slice(-400)}` : ''}`);
  }
}
