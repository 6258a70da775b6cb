/**
 * Our proxy images are cached by tag like the workspace image, so each image.json must name the hash of its
 * current build context (else a changed Dockerfile would never be built on machines that have the old tag).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { computeContextHash } from '../../server/images/image-context.js';
import { PROXY_IMAGE_NAMES, proxyImageContextDir, readProxyImageSpec } from '../../server/images/proxy-images.js';

const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');

describe.each(PROXY_IMAGE_NAMES)('%s image context', (name) => {
  it('image.json names the hash of the current build context and a tag of ours', () => {
    const spec = readProxyImageSpec(resourcesDir, name);
    const actual = computeContextHash(proxyImageContextDir(resourcesDir, name));
    expect(
      spec.contextHash,
      `resources/images/${name} changed but its image.json was not updated. Bump the tag (now ${spec.tag}) and set ` +
        `"contextHash": "${actual}" (\`npx tsx scripts/build-images.ts --print-hash ${name}\`), then \`npm run images\`.`,
    ).toBe(actual);
    expect(spec.tag).toMatch(new RegExp(`^xares/${name}:\\d+$`));
  });
});
