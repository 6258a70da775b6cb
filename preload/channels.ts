/**
 * The bridge's channel names, for the preload. The preload runs sandboxed and may only `require` a handful of
 * modules (electron, events, timers, url), so it cannot load zod or the contract at run time; it keeps this
 * list instead. The type below fails to compile when a channel of `BridgeChannels` is missing here, and a unit
 * test (tests/unit/preload-bridge.test.ts) checks the list equals `Object.keys(BridgeChannels)`, order included.
 */
import type { BridgeChannel } from '../server/contract/desktop-bridge.js';

export const BRIDGE_CHANNEL_NAMES = ['session:get', 'shell:open-external', 'app:info'] as const satisfies readonly BridgeChannel[];

/** Compile-time completeness check: `never` when every contract channel is listed, else the missing names. */
type MissingChannels = Exclude<BridgeChannel, (typeof BRIDGE_CHANNEL_NAMES)[number]>;
const everyChannelListed: [MissingChannels] extends [never] ? true : MissingChannels = true;
void everyChannelListed;
