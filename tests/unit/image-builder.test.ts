/**
 * The image builder's parts that need no engine: the spec file, build arguments, the build context (tar with
 * the host's CA certificates) and the parser of the engine's build output. Building on the real engine is
 * covered by tests/integration/image.test.ts.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BuildStreamParser,
  ERROR_LOG_LINES,
  LOCAL_BASE_IMAGE,
  OFFICIAL_BASE_IMAGE,
  collectBuildContext,
  collectExtraCaCertificates,
  defaultBuildArgs,
  packBuildContext,
  readWorkspaceImageSpec,
  type BuildStreamState,
} from '../../server/images/image-builder.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-image-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A resources/ folder with a workspace context holding `files` (relative path -> content). */
function makeResources(files: Record<string, string>): string {
  const resources = tempDir();
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(resources, 'images', 'workspace', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return resources;
}

async function untar(stream: NodeJS.ReadableStream): Promise<Map<string, { content: string; mode: number }>> {
  const extract = tar.extract();
  const files = new Map<string, { content: string; mode: number }>();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, entryStream, next) => {
      const chunks: Buffer[] = [];
      entryStream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      entryStream.on('end', () => {
        files.set(header.name, { content: Buffer.concat(chunks).toString('utf8'), mode: header.mode ?? 0 });
        next();
      });
    });
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  await done;
  return files;
}

describe('readWorkspaceImageSpec', () => {
  const hash = 'a'.repeat(64);

  it('reads the tag and context hash', () => {
    const resources = makeResources({ 'image.json': JSON.stringify({ tag: 'xares/workspace:7', contextHash: hash }) });
    expect(readWorkspaceImageSpec(resources)).toEqual({ tag: 'xares/workspace:7', contextHash: hash });
  });

  it('names the file and the field when the spec is wrong', () => {
    const resources = makeResources({ 'image.json': JSON.stringify({ tag: 'Not A Tag', contextHash: 'xyz' }) });
    expect(() => readWorkspaceImageSpec(resources)).toThrow(/image\.json.*tag must be a Docker tag.*contextHash must be a sha256/s);
  });

  it('says so when the file is missing or not JSON', () => {
    expect(() => readWorkspaceImageSpec(tempDir())).toThrow(/Cannot read the workspace image spec .*image\.json/);
    const resources = makeResources({ 'image.json': '{ tag: ' });
    expect(() => readWorkspaceImageSpec(resources)).toThrow(/Cannot read the workspace image spec/);
  });

  it('accepts the project spec', () => {
    const spec = readWorkspaceImageSpec(path.resolve('resources'));
    expect(spec.tag).toMatch(/^xares\/workspace:/);
  });
});

describe('defaultBuildArgs', () => {
  it('turns Aider off on the offline base only', () => {
    expect(defaultBuildArgs(LOCAL_BASE_IMAGE)).toEqual({ BASE_IMAGE: LOCAL_BASE_IMAGE, INSTALL_AIDER: '0' });
    expect(defaultBuildArgs(OFFICIAL_BASE_IMAGE)).toEqual({ BASE_IMAGE: OFFICIAL_BASE_IMAGE, INSTALL_AIDER: '1' });
  });
});

describe('build context', () => {
  it('collects only *.crt files, recursively, under extra-ca/', () => {
    const caDir = tempDir();
    mkdirSync(path.join(caDir, 'corp', 'deep'), { recursive: true });
    writeFileSync(path.join(caDir, 'proxy.crt'), 'PROXY');
    writeFileSync(path.join(caDir, 'corp', 'deep', 'root.crt'), 'ROOT');
    writeFileSync(path.join(caDir, 'notes.txt'), 'not a cert');
    writeFileSync(path.join(caDir, 'corp', 'key.pem'), 'secret');
    const entries = collectExtraCaCertificates(caDir);
    expect(entries.map((entry) => [entry.name, entry.content.toString()])).toEqual([
      ['extra-ca/corp/deep/root.crt', 'ROOT'],
      ['extra-ca/proxy.crt', 'PROXY'],
    ]);
  });

  it('yields no certificates for a missing folder', () => {
    expect(collectExtraCaCertificates(path.join(tempDir(), 'nope'))).toEqual([]);
  });

  it('packs the versioned files plus the host certificates into a tar, keeping exec bits, without image.json', async () => {
    const resources = makeResources({
      Dockerfile: 'FROM scratch\n',
      'extra-ca/.keep': '',
      'extra-ca/stale.crt': 'LEFT BY HAND',
      'bin/start.sh': '#!/bin/sh\n',
      'image.json': '{}',
    });
    chmodSync(path.join(resources, 'images', 'workspace', 'bin', 'start.sh'), 0o755);
    const caDir = tempDir();
    writeFileSync(path.join(caDir, 'host.crt'), 'HOST');
    const files = await untar(packBuildContext(collectBuildContext(resources, caDir)));
    expect([...files.keys()].sort()).toEqual(['Dockerfile', 'bin/start.sh', 'extra-ca/.keep', 'extra-ca/host.crt']);
    expect(files.get('extra-ca/host.crt')?.content).toBe('HOST');
    expect(files.get('bin/start.sh')?.mode).toBe(0o755);
    expect(files.get('Dockerfile')?.content).toBe('FROM scratch\n');
  });

  it('sends no certificates when extraCaDir is null', async () => {
    const resources = makeResources({ Dockerfile: 'FROM scratch\n', 'extra-ca/.keep': '' });
    const files = await untar(packBuildContext(collectBuildContext(resources, null)));
    expect([...files.keys()].sort()).toEqual(['Dockerfile', 'extra-ca/.keep']);
  });
});

/** Engine output as the classic builder sends it, one JSON object per line. */
function engineLines(...messages: object[]): string {
  return messages.map((message) => JSON.stringify(message)).join('\r\n') + '\r\n';
}

describe('BuildStreamParser', () => {
  it('turns steps into progress and keeps going when chunks split lines', () => {
    const updates: Array<{ progress: number; message: string; step: boolean }> = [];
    const parser = new BuildStreamParser((state: BuildStreamState, step) => updates.push({ progress: state.progress, message: state.message, step }));
    const raw = engineLines(
      { stream: 'Step 1/4 : ARG BASE_IMAGE=debian:bookworm-slim' },
      { stream: '\n' },
      { stream: 'Step 2/4 : FROM ${BASE_IMAGE} AS base' },
      { stream: '\n' },
      { stream: ' ---> 4d2c4ab1d7a2\n' },
      { stream: 'Step 3/4 : RUN set -eux;     apt-get update' },
      { stream: '\n' },
      { stream: ' ---> Running in 9a1b\n' },
      { stream: 'Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]\n' },
      { stream: 'Removing intermediate container 9a1b\n' },
      { stream: 'Step 4/4 : CMD ["code-server"]' },
      { aux: { ID: 'sha256:abc' } },
      { stream: 'Successfully built abc\n' },
    );
    for (let index = 0; index < raw.length; index += 7) parser.push(Buffer.from(raw.slice(index, index + 7)));
    parser.end();
    const steps = updates.filter((update) => update.step);
    expect(steps.map((update) => update.progress)).toEqual([0, 0.25, 0.5, 0.75]);
    expect(steps[2]?.message).toBe('Step 3/4: RUN set -eux; apt-get update');
    expect(updates.some((update) => !update.step && update.message.startsWith('Get:1'))).toBe(true);
    expect(parser.state.imageId).toBe('sha256:abc');
    expect(parser.state.error).toBeNull();
    expect(parser.state.lastLines.at(-1)).toBe('Successfully built abc');
  });

  it('keeps the build error and the last output lines', () => {
    const parser = new BuildStreamParser();
    const output = Array.from({ length: 30 }, (_, index) => ({ stream: `line ${index}\n` }));
    parser.push(
      engineLines(
        { stream: 'Step 5/9 : RUN make' },
        ...output,
        {
          errorDetail: { code: 2, message: "The command '/bin/sh -c make' returned a non-zero code: 2" },
          error: "The command '/bin/sh -c make' returned a non-zero code: 2",
        },
      ),
    );
    parser.end();
    expect(parser.state.error).toBe("The command '/bin/sh -c make' returned a non-zero code: 2");
    expect(parser.state.lastLines).toHaveLength(ERROR_LOG_LINES);
    expect(parser.state.lastLines.at(-1)).toBe('line 29');
    expect(parser.state.progress).toBeCloseTo(4 / 9);
  });

  it('reports base image pulls and never reaches 1 before the build ends', () => {
    const parser = new BuildStreamParser();
    parser.push(engineLines({ status: 'Pulling from library/debian', id: 'bookworm-slim' }));
    expect(parser.state.message).toBe('Pulling base image: bookworm-slim: Pulling from library/debian');
    parser.push(engineLines({ stream: 'Step 100/100 : CMD ["x"]\n' }));
    expect(parser.state.progress).toBe(0.99);
  });
});
