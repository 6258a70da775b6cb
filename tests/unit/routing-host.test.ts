import { describe, expect, it } from 'vitest';
import { ProjectId } from '../../server/contract/index.js';
import { parseWorkspaceHost } from '../../server/routing/workspace-router.js';
import { classifyHost, normalizeBaseDomain } from '../../server/routing/workspace-host.js';

const ID = 'abc123def456';

describe('parseWorkspaceHost', () => {
  it('parses the IDE host with and without a port', () => {
    expect(parseWorkspaceHost(`${ID}.localhost`, 'localhost')).toEqual({ projectId: ID });
    expect(parseWorkspaceHost(`${ID}.localhost:8080`, 'localhost')).toEqual({ projectId: ID });
    expect(parseWorkspaceHost(`${ID}.localhost:1`, 'localhost')).toEqual({ projectId: ID });
    expect(parseWorkspaceHost(`${ID}.localhost:65535`, 'localhost')).toEqual({ projectId: ID });
  });

  it('parses app port hosts', () => {
    expect(parseWorkspaceHost(`${ID}-5000.localhost`, 'localhost')).toEqual({ projectId: ID, appPort: 5000 });
    expect(parseWorkspaceHost(`${ID}-1.localhost:8080`, 'localhost')).toEqual({ projectId: ID, appPort: 1 });
    expect(parseWorkspaceHost(`${ID}-65535.localhost`, 'localhost')).toEqual({ projectId: ID, appPort: 65535 });
  });

  it('is case-insensitive for host and base domain, and returns the id lower-cased', () => {
    expect(parseWorkspaceHost(`${ID.toUpperCase()}.LocalHost:8080`, 'localhost')).toEqual({ projectId: ID });
    expect(parseWorkspaceHost(`${ID}-5000.WS.Example.ORG`, 'ws.example.org')).toEqual({ projectId: ID, appPort: 5000 });
    expect(parseWorkspaceHost(`${ID}.ws.example.org`, 'WS.EXAMPLE.ORG')).toEqual({ projectId: ID });
  });

  it('accepts one trailing dot on the name (and on the base domain)', () => {
    expect(parseWorkspaceHost(`${ID}.localhost.`, 'localhost')).toEqual({ projectId: ID });
    expect(parseWorkspaceHost(`${ID}.localhost.:8080`, 'localhost')).toEqual({ projectId: ID });
    expect(parseWorkspaceHost(`${ID}-8000.localhost.`, 'localhost.')).toEqual({ projectId: ID, appPort: 8000 });
    expect(parseWorkspaceHost(`${ID}.localhost..`, 'localhost')).toBeNull();
  });

  it('refuses bad Host ports', () => {
    for (const port of ['0', '65536', '99999', '123456', '', '-1', '+80', '8o80', ' 80', '80 ']) {
      expect(parseWorkspaceHost(`${ID}.localhost:${port}`, 'localhost'), `port ${JSON.stringify(port)}`).toBeNull();
    }
    expect(parseWorkspaceHost(`${ID}.localhost:80:80`, 'localhost')).toBeNull();
  });

  it('refuses bad app ports', () => {
    for (const label of [`${ID}-0`, `${ID}-65536`, `${ID}-100000`, `${ID}-123456`, `${ID}-`, `${ID}-05000`, `${ID}-5000-1`, `${ID}--5000`, `${ID}-abc`, `${ID}-50 00`]) {
      expect(parseWorkspaceHost(`${label}.localhost`, 'localhost'), label).toBeNull();
    }
  });

  it('refuses ids that the contract refuses', () => {
    for (const id of ['abc123def45', 'abc123def4567', 'abc_23def456', 'abc123déf456', '', 'abc123def45-', 'ABC123DEF45!']) {
      expect(ProjectId.safeParse(id.toLowerCase()).success).toBe(false);
      expect(parseWorkspaceHost(`${id}.localhost`, 'localhost'), id).toBeNull();
    }
  });

  it('refuses other domains, deeper subdomains and look-alikes', () => {
    expect(parseWorkspaceHost('localhost', 'localhost')).toBeNull();
    expect(parseWorkspaceHost('localhost:8080', 'localhost')).toBeNull();
    expect(parseWorkspaceHost(`${ID}.example.org`, 'localhost')).toBeNull();
    expect(parseWorkspaceHost(`${ID}.notlocalhost`, 'localhost')).toBeNull();
    expect(parseWorkspaceHost(`${ID}localhost`, 'localhost')).toBeNull();
    expect(parseWorkspaceHost(`x.${ID}.localhost`, 'localhost')).toBeNull();
    expect(parseWorkspaceHost(`${ID}.localhost.evil.com`, 'localhost')).toBeNull();
    expect(parseWorkspaceHost(`.localhost`, 'localhost')).toBeNull();
    expect(parseWorkspaceHost(`user@${ID}.localhost`, 'localhost')).toBeNull();
    expect(parseWorkspaceHost(`${ID}.localhost/path`, 'localhost')).toBeNull();
    expect(parseWorkspaceHost(undefined, 'localhost')).toBeNull();
    expect(parseWorkspaceHost('', 'localhost')).toBeNull();
    expect(parseWorkspaceHost(`${ID}.${'a'.repeat(400)}.localhost`, 'localhost')).toBeNull();
  });

  it('handles a base domain with subdomains', () => {
    const base = 'ws.example.org';
    expect(parseWorkspaceHost(`${ID}.ws.example.org:443`, base)).toEqual({ projectId: ID });
    expect(parseWorkspaceHost(`${ID}.example.org`, base)).toBeNull();
    expect(parseWorkspaceHost(`${ID}.xws.example.org`, base)).toBeNull();
    expect(parseWorkspaceHost(`${ID}.sub.ws.example.org`, base)).toBeNull();
    expect(parseWorkspaceHost('ws.example.org', base)).toBeNull();
  });

  it('never takes IPv6 literals or IP addresses', () => {
    for (const host of ['[::1]', '[::1]:8080', `[${ID}.localhost]:80`, '::1', 'fe80::1:8080', '127.0.0.1:8080', '127.0.0.1']) {
      expect(parseWorkspaceHost(host, 'localhost'), host).toBeNull();
    }
    expect(parseWorkspaceHost(`${ID}.0.0.1`, '0.0.1')).toEqual({ projectId: ID });
  });
});

describe('classifyHost', () => {
  const base = normalizeBaseDomain('localhost');
  it('claims every subdomain of the base domain, so none reaches the dashboard', () => {
    expect(classifyHost('admin.localhost', base)).toEqual({ kind: 'foreign-subdomain' });
    expect(classifyHost(`x.${ID}.localhost:8080`, base)).toEqual({ kind: 'foreign-subdomain' });
    expect(classifyHost(`${ID}-0.localhost`, base)).toEqual({ kind: 'foreign-subdomain' });
    expect(classifyHost(`${ID}.localhost`, base)).toEqual({ kind: 'workspace', host: { projectId: ID } });
  });
  it('leaves the base domain itself and other names to the caller', () => {
    expect(classifyHost('localhost:8080', base)).toBeNull();
    expect(classifyHost('127.0.0.1:8080', base)).toBeNull();
    expect(classifyHost('example.org', base)).toBeNull();
    expect(classifyHost('[::1]:8080', base)).toBeNull();
  });
});
