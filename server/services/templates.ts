import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import tar from 'tar-stream';
import type { ProjectType } from '../contract/index.js';
import type { WorkspaceRuntime } from '../runtime/workspace-runtime.js';

/** Owner of every template entry: the image's `coder` user and group (resources/images/workspace/Dockerfile). */
export const TEMPLATE_OWNER_ID = 1000;
/** Folder inside the container the template is unpacked into (the image's WORKDIR and code-server's folder). */
export const WORKSPACE_DIR = '/workspace';
/** Mode of directories and of executable files (owner writes, everyone reads and enters/runs). */
const DIR_MODE = 0o755;
const EXECUTABLE_MODE = 0o755;
/** Mode of ordinary files (owner writes, everyone reads). */
const FILE_MODE = 0o644;

/** A template folder holds something we refuse to pack (a symlink, a device, a socket...). */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** Folder of a project type's starter files: `<resourcesDir>/templates/<type>` (issue #3 "Templates"). */
export function templateDir(resourcesDir: string, type: ProjectType): string {
  return path.join(resourcesDir, 'templates', type);
}

/** One entry of a packed template, in the order it is written (a directory before its contents). */
export interface TemplateEntry {
  /** Path relative to the workspace folder, `/`-separated, never absolute, never containing `..`. */
  name: string;
  type: 'directory' | 'file';
  mode: number;
  /** File content (empty for directories). */
  content: Buffer;
}

/**
 * Lists a template folder recursively, sorted by name, directories before their contents. Only regular files
 * and directories are taken; a symlink (which could point outside the template, e.g. at the host's files) or
 * any other special file is refused, so packing can never read outside `dir`.
 * Modes are normalised: directories 0755, files 0644, or 0755 when the source has any execute bit.
 * @throws TemplateError for a symlink or special file; the fs error (ENOENT...) when `dir` is unreadable.
 */
export async function readTemplate(dir: string): Promise<TemplateEntry[]> {
  const root = await lstat(dir);
  if (!root.isDirectory()) throw new TemplateError(`Template folder ${dir} is not a directory`);
  const entries: TemplateEntry[] = [];
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(path.join(dir, relative))).sort();
    for (const name of names) {
      const rel = relative ? `${relative}/${name}` : name;
      const full = path.join(dir, rel);
      const stat = await lstat(full);
      if (stat.isDirectory()) {
        entries.push({ name: rel, type: 'directory', mode: DIR_MODE, content: Buffer.alloc(0) });
        await walk(rel);
      } else if (stat.isFile()) {
        const mode = (stat.mode & 0o111) !== 0 ? EXECUTABLE_MODE : FILE_MODE;
        entries.push({ name: rel, type: 'file', mode, content: await readFile(full) });
      } else {
        throw new TemplateError(`Template entry ${rel} is not a regular file or directory (symlinks are not allowed)`);
      }
    }
  };
  await walk('');
  return entries;
}

/** Owner of the entries of a tar made by {@link packEntries}. */
export interface TarOwner {
  uid: number;
  gid: number;
  uname: string;
  gname: string;
}

/** The workspace user `coder` (uid/gid {@link TEMPLATE_OWNER_ID}): owner of template files. */
export const CODER_OWNER: TarOwner = { uid: TEMPLATE_OWNER_ID, gid: TEMPLATE_OWNER_ID, uname: 'coder', gname: 'coder' };
/** root: owner of the configuration files Xares writes into containers. */
export const ROOT_OWNER: TarOwner = { uid: 0, gid: 0, uname: 'root', gname: 'root' };

/**
 * Packs entries into an uncompressed tar (the format Docker's `PUT /containers/{id}/archive` takes), every
 * entry owned by `owner` (default {@link CODER_OWNER}), modification time `mtime`.
 */
export async function packEntries(entries: readonly TemplateEntry[], mtime: Date = new Date(), owner: TarOwner = CODER_OWNER): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const entry of entries) {
    if (entry.type === 'directory') pack.entry({ name: `${entry.name}/`, type: 'directory', mode: entry.mode, mtime, ...owner });
    else pack.entry({ name: entry.name, type: 'file', mode: entry.mode, mtime, size: entry.content.length, ...owner }, entry.content);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** `readTemplate` then `packEntries`: the tar of a template folder. @throws as `readTemplate`. */
export async function packTemplate(dir: string): Promise<Buffer> {
  return packEntries(await readTemplate(dir));
}

/**
 * Writes the starter files of `type` into `/workspace` of the (created, not yet started) container of
 * `projectId`. Call it once, for a brand-new workspace only: clones bring their own files, and a restart must
 * never overwrite a participant's edits (issue #3 "Templates": files are written at first start).
 * @throws TemplateError / fs errors for a broken template folder; the runtime's errors (ContainerNotFoundError,
 *   RuntimeUnavailableError) from the upload.
 */
export async function writeTemplate(runtime: WorkspaceRuntime, projectId: string, resourcesDir: string, type: ProjectType): Promise<void> {
  const archive = await packTemplate(templateDir(resourcesDir, type));
  await runtime.putArchive(projectId, WORKSPACE_DIR, archive);
}
