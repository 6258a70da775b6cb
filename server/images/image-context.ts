/**
 * The workspace image's build context on disk (`<resources>/images/workspace/`) and its content hash.
 *
 * The hash identifies the context the tag in `image.json` was built from: a unit test
 * (tests/unit/image-context.test.ts) fails when the files change but `image.json` was not updated, because
 * images are cached by tag and an unchanged tag would silently keep running the old image.
 * Plain Node: no Electron, no Docker.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Name of the spec file inside the context folder; not part of the context itself. */
export const IMAGE_SPEC_FILE = 'image.json';

/**
 * Folder inside the context that receives the host's extra CA certificates (`*.crt`) at build time.
 * Certificates found there on disk are machine-specific, so they are neither hashed nor sent from disk.
 */
export const EXTRA_CA_FOLDER = 'extra-ca';

/** The workspace build context folder for a `resources/` folder: `<resourcesDir>/images/workspace`. */
export function workspaceContextDir(resourcesDir: string): string {
  return path.join(resourcesDir, 'images', 'workspace');
}

/**
 * Whether a context-relative path (POSIX separators) belongs to the versioned build context:
 * everything except `image.json` and certificates dropped into `extra-ca/`.
 */
export function isVersionedContextFile(relativePath: string): boolean {
  if (relativePath === IMAGE_SPEC_FILE) return false;
  if (relativePath.startsWith(`${EXTRA_CA_FOLDER}/`) && relativePath.endsWith('.crt')) return false;
  return true;
}

/**
 * Lists the versioned files of a context folder, recursively, as sorted POSIX relative paths.
 * Symbolic links are skipped (Docker would send the link, not its target). Throws the fs error
 * (e.g. ENOENT) when the folder cannot be read.
 */
export function listContextFiles(contextDir: string): string[] {
  const found: string[] = [];
  const walk = (relativeDir: string): void => {
    const entries = readdirSync(path.join(contextDir, relativeDir), { withFileTypes: true });
    for (const entry of entries) {
      const relativePath = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(relativePath);
      else if (entry.isFile() && isVersionedContextFile(relativePath)) found.push(relativePath);
    }
  };
  walk('');
  return found.sort();
}

/**
 * sha256 (hex) of the versioned context: for each file in `listContextFiles` order, the line
 * `<sha256 of content> <relative path>\n` is fed to the outer hash (like `sha256sum` output), so renames,
 * additions and edits all change it. Independent of mtimes, permissions and platform path separators.
 */
export function computeContextHash(contextDir: string): string {
  const outer = createHash('sha256');
  for (const relativePath of listContextFiles(contextDir)) {
    const content = readFileSync(path.join(contextDir, ...relativePath.split('/')));
    outer.update(`${createHash('sha256').update(content).digest('hex')} ${relativePath}\n`);
  }
  return outer.digest('hex');
}
