/**
 * The network health round runs from a timer: it must never reject, also when the store it reads is closed
 * while the app stops (a full test run once caught "The database connection is not open" as an unhandled
 * rejection from that round).
 */
import type Docker from 'dockerode';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NetworkControl } from '../../server/proxies/network-control.js';
import { pollUntil } from '../helpers/server.js';

describe('network health round', () => {
  it('logs instead of rejecting when the store is gone', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(line) });
    const closedStore = () => {
      throw new TypeError('The database connection is not open');
    };
    const control = new NetworkControl({
      docker: {} as Docker,
      instanceId: 'rounds-test',
      images: { squid: 'x', mitmproxy: 'x', netguard: 'x' },
      credentials: { getProxySecret: closedStore, setProxySecret: closedStore, listProxyClients: closedStore },
      whitelistSection: () => '',
      logger,
      healthIntervalMs: 5,
    });
    try {
      await pollUntil(() => (logged.some((line) => line.includes('network health round failed')) ? true : undefined), { timeoutMs: 5_000, description: 'round logged' });
      // The rounds after close stay silent.
      control.close();
      expect(rejections).toEqual([]);
    } finally {
      control.close();
      process.off('unhandledRejection', onRejection);
    }
  });
});
