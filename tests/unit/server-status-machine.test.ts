// The workspace status machine: allowed transitions, engine events, start-up reconciliation.
import { describe, expect, it } from 'vitest';
import type { ProjectStatus } from '../../server/contract/index.js';
import { canTransition, statusAfterEngineEvent, statusFromContainer } from '../../server/services/status-machine.js';

const ALL: ProjectStatus[] = ['creating', 'running', 'stopped', 'error'];

describe('transitions', () => {
  it('reaches running only from creating or running', () => {
    for (const from of ALL) expect(canTransition(from, 'running'), from).toBe(from === 'creating' || from === 'running');
  });
  it('lets anything fail into error and restart through creating', () => {
    for (const from of ALL) {
      expect(canTransition(from, 'error')).toBe(true);
      expect(canTransition(from, 'creating')).toBe(true);
    }
  });
});

describe('engine events', () => {
  it('treats kill as a signal only: no change by itself (the die that ends a container follows it)', () => {
    for (const from of ['running', 'creating', 'stopped', 'error'] as const) expect(statusAfterEngineEvent(from, 'kill')).toBeNull();
  });
  it('maps die/stop to stopped, except when already stopped or in error', () => {
    for (const action of ['die', 'stop']) {
      expect(statusAfterEngineEvent('running', action)).toEqual({ status: 'stopped', reason: null });
      expect(statusAfterEngineEvent('stopped', action)).toBeNull();
      expect(statusAfterEngineEvent('error', action)).toBeNull();
    }
  });
  it('maps destroy (removed outside the app) and oom to error with a reason', () => {
    for (const from of ALL) {
      const destroyed = statusAfterEngineEvent(from, 'destroy');
      expect(destroyed?.status).toBe('error');
      expect(destroyed?.reason).toMatch(/removed/);
    }
    expect(statusAfterEngineEvent('running', 'oom')?.reason).toMatch(/memory/);
  });
  it('maps start to creating (the probe decides running) and ignores unrelated actions', () => {
    expect(statusAfterEngineEvent('stopped', 'start')?.status).toBe('creating');
    expect(statusAfterEngineEvent('running', 'start')).toBeNull();
    for (const action of ['exec_start', 'attach', 'create', 'rename', 'health_status']) expect(statusAfterEngineEvent('running', action)).toBeNull();
  });
});

describe('reconciliation', () => {
  it('turns a record without container into error (never deleted)', () => {
    for (const from of ALL) {
      const next = statusFromContainer(from, null);
      expect(next.status).toBe('error');
      expect(next.reason).toMatch(/missing/);
    }
  });
  it('a clone without container is error with a reason that says to clone again (it is never re-made from the base image)', () => {
    expect(statusFromContainer('creating', null, { containerId: null })).toEqual({
      status: 'error',
      reason: 'Clone interrupted before its container was made: delete it and clone again',
    });
    expect(statusFromContainer('stopped', null, { containerId: 'abc' })).toEqual({
      status: 'error',
      reason: "The clone's container was removed: delete it and clone again",
    });
    expect(statusFromContainer('stopped', { running: false }, { containerId: 'abc' })).toEqual({ status: 'stopped', reason: null });
  });
  it('follows the container otherwise', () => {
    expect(statusFromContainer('running', { running: false })).toEqual({ status: 'stopped', reason: null });
    expect(statusFromContainer('creating', { running: false }).status).toBe('stopped');
    expect(statusFromContainer('stopped', { running: true }).status).toBe('creating');
    expect(statusFromContainer('running', { running: true }).status).toBe('creating');
  });
});
