/**
 * The workspace image is cached by tag, so the tag in image.json must change whenever its build context
 * does. This test recomputes the context hash and fails when image.json still names the old one.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readWorkspaceImageSpec } from '../../server/images/image-builder.js';
import { computeContextHash, listContextFiles, workspaceContextDir } from '../../server/images/image-context.js';

const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');

describe('workspace image context', () => {
  it('image.json names the hash of the current build context', () => {
    const spec = readWorkspaceImageSpec(resourcesDir);
    const actual = computeContextHash(workspaceContextDir(resourcesDir));
    expect(
      spec.contextHash,
      `resources/images/workspace changed but image.json was not updated. Bump the tag (now ${spec.tag}) and set ` +
        `"contextHash": "${actual}" (print it with \`npx tsx scripts/build-images.ts --print-hash\`), then \`npm run images\`.`,
    ).toBe(actual);
  });

  it('contains the Dockerfile and the extra-ca folder', () => {
    const files = listContextFiles(workspaceContextDir(resourcesDir));
    expect(files).toContain('Dockerfile');
    expect(files).toContain('extra-ca/.keep');
    expect(files).not.toContain('image.json');
  });
});

describe('computeContextHash', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function makeContext(): string {
    dir = mkdtempSync(path.join(tmpdir(), 'xares-context-'));
    mkdirSync(path.join(dir, 'extra-ca', 'nested'), { recursive: true });
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(path.join(dir, 'extra-ca', '.keep'), '');
    writeFileSync(path.join(dir, 'image.json'), '{"tag":"x:1","contextHash":"0"}');
    return dir;
  }

  it('changes when a file is edited, added or renamed', () => {
    const context = makeContext();
    const original = computeContextHash(context);
    writeFileSync(path.join(context, 'Dockerfile'), 'FROM scratch\nUSER 1000\n');
    const edited = computeContextHash(context);
    expect(edited).not.toBe(original);
    writeFileSync(path.join(context, 'entrypoint.sh'), '#!/bin/sh\n');
    const added = computeContextHash(context);
    expect(added).not.toBe(edited);
    rmSync(path.join(context, 'entrypoint.sh'));
    writeFileSync(path.join(context, 'start.sh'), '#!/bin/sh\n');
    expect(computeContextHash(context)).not.toBe(added);
  });

  it('ignores image.json and host certificates dropped into extra-ca/', () => {
    const context = makeContext();
    const original = computeContextHash(context);
    writeFileSync(path.join(context, 'image.json'), '{"tag":"x:2","contextHash":"1"}');
    writeFileSync(path.join(context, 'extra-ca', 'company.crt'), '-----BEGIN CERTIFICATE-----\n');
    writeFileSync(path.join(context, 'extra-ca', 'nested', 'proxy.crt'), '-----BEGIN CERTIFICATE-----\n');
    expect(computeContextHash(context)).toBe(original);
    writeFileSync(path.join(context, 'extra-ca', 'README'), 'not a certificate');
    expect(computeContextHash(context)).not.toBe(original);
  });

  it('is a sha256 in hex and stable across calls', () => {
    const context = makeContext();
    const hash = computeContextHash(context);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(computeContextHash(context)).toBe(hash);
  });
});
