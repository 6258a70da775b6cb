import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { JOIN_CSP, joinDirFor, joinPageRouter } from '../../server/http/join-page.js';

const servers: Server[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An app with the join page on `joinDir` and a marker route behind it, on a free port. */
async function serve(joinDir: string): Promise<string> {
  const app = express();
  app.use(joinPageRouter(joinDir));
  app.get('/join/enter', (_req, res) => res.status(303).location('/w/x/').end());
  app.use((_req, res) => res.status(404).send('later routes'));
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function buildDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-join-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'join.html'), '<!doctype html><title>join</title><script type="module" src="/join/assets/join-1.js"></script>');
  writeFileSync(path.join(dir, 'assets', 'join-1.js'), 'console.log(1)');
  return dir;
}

describe('join page router', () => {
  it('answers / with the built page under the strict CSP, uncached', async () => {
    const base = await serve(buildDir());
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>join</title>');
    expect(page.headers.get('content-security-policy')).toBe(JOIN_CSP);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(JOIN_CSP).toContain("script-src 'self'");
    expect(JOIN_CSP).not.toContain('unsafe-inline');
  });

  it('serves assets under /join/ and lets other /join/ paths through to later routes', async () => {
    const base = await serve(buildDir());
    const asset = await fetch(`${base}/join/assets/join-1.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const enter = await fetch(`${base}/join/enter`, { redirect: 'manual' });
    expect(enter.status).toBe(303);
    expect((await fetch(`${base}/join/assets/missing.js`)).status).toBe(404);
  });

  it('asks for a build when there is none', async () => {
    const base = await serve(path.join(tmpdir(), 'xares-join-does-not-exist'));
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('npm run build');
  });

  it('lives next to the dashboard build', () => {
    expect(joinDirFor(path.join('/opt', 'xares', 'dist', 'renderer'))).toBe(path.join('/opt', 'xares', 'dist', 'join'));
  });
});
