/**
 * Builds the workspace image (code-server + tools + AI CLIs) from `resources/images/workspace/` on the
 * Docker engine, with progress. Used by the server at start-up (build when missing), by
 * `scripts/build-images.ts` and by the tests' global setup. Plain Node: no Electron.
 *
 * The build context is sent as an in-memory tar: the versioned files of the context folder plus the host's
 * extra CA certificates (`*.crt` of Debian's local certificate folder, Linux only) under `extra-ca/`, so that
 * HTTPS downloads inside the build work behind an intercepting proxy. The image is cached by tag: the tag in
 * `image.json` changes whenever the context does (enforced by tests/unit/image-context.test.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { z } from 'zod';
import {
  EXTRA_CA_FOLDER,
  IMAGE_SPEC_FILE,
  computeContextHash,
  listContextFiles,
  workspaceContextDir,
} from './image-context.js';

/** Base image made offline by `scripts/make-base-image.sh` (debootstrap minbase + docker import). */
export const LOCAL_BASE_IMAGE = 'xares/debian-base:bookworm';
/** The official base every other machine pulls (the Dockerfile's default `BASE_IMAGE`). */
export const OFFICIAL_BASE_IMAGE = 'debian:bookworm-slim';
/** Label put on every image we build, so cleanup can tell ours from the user's. */
export const MANAGED_LABEL = 'xares.managed';
/** Label holding the context hash the image was built from (see image-context.ts). */
export const CONTEXT_HASH_LABEL = 'xares.context-hash';
/** Where Debian's `update-ca-certificates` reads locally added certificates; the default extra CA source. */
export const DEFAULT_EXTRA_CA_DIR = '/usr/local/share/ca-certificates';
/** How many build output lines a build error carries. */
export const ERROR_LOG_LINES = 20;

/** Build progress: `progress` from 0 to 1 (Dockerfile steps done / steps), `message` a one-line summary. */
export interface ImageProgress {
  progress: number;
  message: string;
}

/** Contents of `resources/images/workspace/image.json`. */
export interface WorkspaceImageSpec {
  /** Image tag to build and run, e.g. `xares/workspace:1`. */
  tag: string;
  /** sha256 (hex) of the versioned build context (image-context.ts `computeContextHash`). */
  contextHash: string;
}

const workspaceImageSpecSchema = z.object({
  tag: z
    .string()
    .regex(/^[a-z0-9]+(?:[._\/-][a-z0-9]+)*:[\w][\w.-]{0,127}$/, 'must be a Docker tag like "xares/workspace:1"'),
  contextHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex'),
});

/**
 * Reads and validates `<resourcesDir>/images/workspace/image.json`.
 * @throws Error naming the file when it is missing, not JSON, or has a bad `tag`/`contextHash`.
 */
export function readWorkspaceImageSpec(resourcesDir: string): WorkspaceImageSpec {
  return readImageSpec(workspaceContextDir(resourcesDir), 'workspace');
}

/**
 * Reads and validates `<contextDir>/image.json` of any of our images (same shape as the workspace image's).
 * @param label the image's name in error messages, e.g. `squid`.
 * @throws Error naming the file when it is missing, not JSON, or has a bad `tag`/`contextHash`.
 */
export function readImageSpec(contextDir: string, label: string): WorkspaceImageSpec {
  const file = path.join(contextDir, IMAGE_SPEC_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the ${label} image spec ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = workspaceImageSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`);
    throw new Error(`Invalid ${label} image spec ${file}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** True when the engine has an image with this name/tag; rethrows anything but "not found" (404). */
export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/**
 * The base to build FROM: `LOCAL_BASE_IMAGE` when the engine has it (offline machines, made by
 * scripts/make-base-image.sh), else `OFFICIAL_BASE_IMAGE` (pulled by the build).
 * @throws the engine's error when Docker is unreachable.
 */
export async function chooseBaseImage(docker: Docker): Promise<string> {
  return (await imageExists(docker, LOCAL_BASE_IMAGE)) ? LOCAL_BASE_IMAGE : OFFICIAL_BASE_IMAGE;
}

/**
 * Build arguments implied by a base image: `BASE_IMAGE`, and `INSTALL_AIDER=0` on the local base (a machine
 * without a registry has no PyPI either; Aider only comes from PyPI), `1` otherwise.
 */
export function defaultBuildArgs(baseImage: string): Record<string, string> {
  return { BASE_IMAGE: baseImage, INSTALL_AIDER: baseImage === LOCAL_BASE_IMAGE ? '0' : '1' };
}

/** One file of the in-memory build context. */
export interface ContextEntry {
  /** POSIX path inside the context. */
  name: string;
  content: Buffer;
  /** Unix permission bits (e.g. 0o644). */
  mode: number;
}

/**
 * `*.crt` files under `dir`, recursively (following the layout `update-ca-certificates` reads), as context
 * entries under `extra-ca/`. A missing or unreadable folder or file yields nothing: extra CAs are optional.
 */
export function collectExtraCaCertificates(dir: string): ContextEntry[] {
  const entries: ContextEntry[] = [];
  const walk = (relativeDir: string, depth: number): void => {
    if (depth > 8) return; // guards against symlink loops
    let names: string[];
    try {
      names = readdirSync(path.join(dir, relativeDir));
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const relativePath = relativeDir ? `${relativeDir}/${name}` : name;
      const absolutePath = path.join(dir, relativePath);
      try {
        const stats = statSync(absolutePath);
        if (stats.isDirectory()) walk(relativePath, depth + 1);
        else if (stats.isFile() && name.endsWith('.crt')) {
          entries.push({ name: `${EXTRA_CA_FOLDER}/${relativePath}`, content: readFileSync(absolutePath), mode: 0o644 });
        }
      } catch {
        // Unreadable entry: skip it, the build still works without it unless HTTPS is intercepted.
      }
    }
  };
  walk('', 0);
  return entries;
}

/**
 * The full build context: the versioned files of `contextDir` (default `<resourcesDir>/images/workspace/`)
 * plus `extraCaDir`'s certificates under `extra-ca/` (none when `extraCaDir` is null).
 * @throws the fs error when the context folder cannot be read.
 */
export function collectBuildContext(
  resourcesDir: string,
  extraCaDir: string | null,
  contextDir: string = workspaceContextDir(resourcesDir),
): ContextEntry[] {
  const entries: ContextEntry[] = listContextFiles(contextDir).map((name) => {
    const absolutePath = path.join(contextDir, ...name.split('/'));
    return { name, content: readFileSync(absolutePath), mode: statSync(absolutePath).mode & 0o777 };
  });
  return extraCaDir ? entries.concat(collectExtraCaCertificates(extraCaDir)) : entries;
}

/**
 * Packs context entries into a tar stream. Owner root and a fixed mtime, so identical files give identical
 * archives and Docker's layer cache for COPY keeps hitting.
 */
export function packBuildContext(entries: ContextEntry[]): Readable {
  const pack = tar.pack();
  for (const entry of entries) {
    pack.entry({ name: entry.name, mode: entry.mode, mtime: new Date(0), uid: 0, gid: 0, size: entry.content.length }, entry.content);
  }
  pack.finalize();
  return pack as unknown as Readable;
}

/** What one message of the engine's build stream did to the build's state. */
export interface BuildStreamState {
  progress: number;
  message: string;
  /** The build's own error message, once the engine reported one. */
  error: string | null;
  /** Last output lines (at most ERROR_LOG_LINES), for error reports. */
  lastLines: string[];
  /** Image id from the engine's `aux` message, when seen. */
  imageId: string | null;
}

const STEP_PATTERN = /^Step (\d+)\/(\d+) : (.*)$/;

/**
 * Incremental parser of the engine's newline-delimited JSON build output (classic builder:
 * `{"stream": "Step 3/40 : RUN ..."}`, `{"status": ...}` while pulling, `{"aux": {"ID": ...}}`,
 * `{"errorDetail": {"message": ...}, "error": ...}`). Chunks may split lines anywhere.
 * `onUpdate(isStep)` fires after each message that changed the progress message.
 */
export class BuildStreamParser {
  readonly state: BuildStreamState = { progress: 0, message: 'Starting the build', error: null, lastLines: [], imageId: null };
  private pending = '';

  constructor(private readonly onUpdate: (state: BuildStreamState, isStep: boolean) => void = () => {}) {}

  /** Feeds a chunk of the raw stream. */
  push(chunk: string | Buffer): void {
    this.pending += chunk.toString();
    let newline = this.pending.indexOf('\n');
    while (newline >= 0) {
      const line = this.pending.slice(0, newline).trim();
      this.pending = this.pending.slice(newline + 1);
      if (line) this.handleLine(line);
      newline = this.pending.indexOf('\n');
    }
  }

  /** Handles whatever is left when the stream ends. */
  end(): void {
    const line = this.pending.trim();
    this.pending = '';
    if (line) this.handleLine(line);
  }

  private handleLine(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.remember(line);
      return;
    }
    const errorDetail = message.errorDetail as { message?: unknown } | undefined;
    if (errorDetail || typeof message.error === 'string') {
      const text = typeof errorDetail?.message === 'string' ? errorDetail.message : String(message.error);
      this.state.error = text.trim();
      return;
    }
    const aux = message.aux as { ID?: unknown } | undefined;
    if (aux && typeof aux.ID === 'string') this.state.imageId = aux.ID;
    if (typeof message.stream === 'string') {
      for (const rawLine of message.stream.split('\n')) {
        const text = rawLine.replace(/\r/g, '').trimEnd();
        if (!text) continue;
        this.remember(text);
        const step = STEP_PATTERN.exec(text);
        if (step) {
          const current = Number(step[1]);
          const total = Number(step[2]);
          // A step that starts means the previous ones are done; 1 is reserved for the finished build.
          this.state.progress = total > 0 ? Math.min(0.99, Math.max(0, (current - 1) / total)) : 0;
          this.state.message = `Step ${current}/${total}: ${truncate((step[3] ?? '').replace(/\s+/g, ' '), 120)}`;
          this.onUpdate(this.state, true);
        } else if (!text.startsWith(' ---> ') && !text.startsWith('Removing intermediate container')) {
          this.state.message = truncate(text, 160);
          this.onUpdate(this.state, false);
        }
      }
    } else if (typeof message.status === 'string') {
      const id = typeof message.id === 'string' ? `${message.id}: ` : '';
      this.state.message = truncate(`Pulling base image: ${id}${message.status}`, 160);
      this.onUpdate(this.state, false);
    }
  }

  private remember(text: string): void {
    this.state.lastLines.push(text);
    if (this.state.lastLines.length > ERROR_LOG_LINES) this.state.lastLines.shift();
  }
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** Raised when a build fails; `logTail` holds the last output lines (also appended to the message). */
export class ImageBuildError extends Error {
  constructor(
    message: string,
    readonly logTail: string[],
  ) {
    super(logTail.length ? `${message}\n--- last build output ---\n${logTail.join('\n')}` : message);
    this.name = 'ImageBuildError';
  }
}

/** Options of `buildWorkspaceImage` / `ensureWorkspaceImage`. */
export interface BuildWorkspaceImageOptions {
  /** The app's `resources/` folder (holds `images/workspace/`). */
  resourcesDir: string;
  /** Tag to build, normally `readWorkspaceImageSpec(resourcesDir).tag`. */
  tag: string;
  /**
   * Build context folder; default `<resourcesDir>/images/workspace` (the proxy images pass their own, see
   * proxy-images.ts). Its Dockerfile takes `ARG BASE_IMAGE`.
   */
  contextDir?: string;
  /** Image to build FROM; default `chooseBaseImage(docker)`. */
  baseImage?: string;
  /**
   * Host folder whose `*.crt` (recursively) are trusted in the build. Default `DEFAULT_EXTRA_CA_DIR` on
   * Linux, none elsewhere (Docker Desktop VMs do not see the host's folder). `null` sends none.
   */
  extraCaDir?: string | null;
  /** Extra `--build-arg`s; override `defaultBuildArgs(baseImage)`. */
  buildArgs?: Record<string, string>;
  /** Called at each Dockerfile step (and at most every 500 ms for other output). */
  onProgress?: (progress: ImageProgress) => void;
  /** Aborts the build (the request to the engine is closed, which stops the build). */
  signal?: AbortSignal;
}

/**
 * Builds the workspace image and tags it `options.tag`, labelled `xares.managed=true` and with its context
 * hash. Resolves when the engine reports success and the tag exists.
 * @throws ImageBuildError with the build's own error message and the last ~20 output lines;
 *   the engine's error when Docker is unreachable; the signal's reason (or an AbortError) when aborted;
 *   an fs error when the context folder cannot be read.
 */
export async function buildWorkspaceImage(docker: Docker, options: BuildWorkspaceImageOptions): Promise<void> {
  const { resourcesDir, tag, onProgress, signal } = options;
  signal?.throwIfAborted();
  const baseImage = options.baseImage ?? (await chooseBaseImage(docker));
  const extraCaDir =
    options.extraCaDir === undefined ? (process.platform === 'linux' ? DEFAULT_EXTRA_CA_DIR : null) : options.extraCaDir;
  const contextDir = options.contextDir ?? workspaceContextDir(resourcesDir);
  const entries = collectBuildContext(resourcesDir, extraCaDir, contextDir);
  const contextHash = computeContextHash(contextDir);
  const certificates = entries.filter((entry) => entry.name.startsWith(`${EXTRA_CA_FOLDER}/`)).length;
  onProgress?.({ progress: 0, message: `Building ${tag} from ${baseImage} (${certificates} extra CA certificate(s))` });

  let lastReport = 0;
  const parser = new BuildStreamParser((state, isStep) => {
    const now = Date.now();
    if (!isStep && now - lastReport < 500) return;
    lastReport = now;
    onProgress?.({ progress: state.progress, message: state.message });
  });

  const stream = (await docker.buildImage(packBuildContext(entries), {
    t: tag,
    buildargs: { ...defaultBuildArgs(baseImage), ...options.buildArgs },
    labels: { [MANAGED_LABEL]: 'true', [CONTEXT_HASH_LABEL]: contextHash },
    rm: true,
    forcerm: true,
    ...(signal ? { abortSignal: signal } : {}),
  })) as Readable;

  const buildPromise = new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = (): void => {
      stream.destroy();
      finish(signal?.reason ?? new DOMException('The image build was aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => parser.push(chunk));
    stream.on('error', (error) => finish(error));
    stream.on('end', () => {
      parser.end();
      if (parser.state.error) finish(new ImageBuildError(`Building ${tag} failed: ${parser.state.error}`, parser.state.lastLines));
      else finish();
    });
  });

  await buildPromise.catch(async (error: unknown) => {
    if (error instanceof ImageBuildError && baseImage === OFFICIAL_BASE_IMAGE && !(await imageExists(docker, baseImage).catch(() => true))) {
      throw new ImageBuildError(
        `${error.message.split('\n--- last build output ---')[0]} (the base image ${baseImage} could not be pulled; ` +
          'on a machine without a container registry run scripts/make-base-image.sh first)',
        error.logTail,
      );
    }
    throw error;
  });

  if (!(await imageExists(docker, tag))) {
    throw new ImageBuildError(`Building ${tag} ended without an error but the image is not there`, parser.state.lastLines);
  }
  onProgress?.({ progress: 1, message: `Built ${tag}` });
}

/** Builds in flight in this process, by tag, so concurrent callers share one build. */
const inFlightBuilds = new Map<string, Promise<{ built: boolean }>>();

/**
 * Makes sure `options.tag` exists: resolves `{ built: false }` at once when it does (images are cached by
 * tag), else builds it (`buildWorkspaceImage`) and resolves `{ built: true }`. Concurrent calls for the same
 * tag in one process share the build (the first caller's options and progress callback apply).
 * @throws as `buildWorkspaceImage`.
 */
export async function ensureWorkspaceImage(docker: Docker, options: BuildWorkspaceImageOptions): Promise<{ built: boolean }> {
  if (await imageExists(docker, options.tag)) return { built: false };
  const running = inFlightBuilds.get(options.tag);
  if (running) return running;
  const build = buildWorkspaceImage(docker, options)
    .then(() => ({ built: true }))
    .finally(() => inFlightBuilds.delete(options.tag));
  inFlightBuilds.set(options.tag, build);
  return build;
}
