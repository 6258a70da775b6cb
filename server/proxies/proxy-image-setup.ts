/**
 * The three images of network control (issue #5): squid, mitmproxy and the netguard helper. Their tags come
 * from each folder's image.json; they are built on first use when missing (cached by tag; `npm run images`
 * builds them ahead).
 */
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { chooseBaseImage } from '../images/image-builder.js';
import { ensureProxyImage, readProxyImageSpec, type ProxyImageName } from '../images/proxy-images.js';

/** Tags of the proxy images. @throws Error naming an image.json that is missing or invalid. */
export function proxyImageTags(resourcesDir: string): { squid: string; mitmproxy: string; netguard: string } {
  return {
    squid: readProxyImageSpec(resourcesDir, 'squid').tag,
    mitmproxy: readProxyImageSpec(resourcesDir, 'mitmproxy').tag,
    netguard: readProxyImageSpec(resourcesDir, 'netguard').tag,
  };
}

/**
 * Makes sure the proxy images exist, building the missing ones (one after another; progress is logged).
 * @throws ImageBuildError / the engine's error.
 */
export async function ensureProxyImages(docker: Docker, resourcesDir: string, logger: Logger): Promise<void> {
  const baseImage = await chooseBaseImage(docker);
  const common = { resourcesDir, baseImage, buildArgs: { BASE_IMAGE: baseImage } };
  for (const name of ['netguard', 'squid', 'mitmproxy'] satisfies ProxyImageName[]) {
    const result = await ensureProxyImage(docker, name, common);
    if (result.built) logger.info({ image: result.tag }, `built the ${name} image`);
  }
}
