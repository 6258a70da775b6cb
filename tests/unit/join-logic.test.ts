import { describe, expect, it } from 'vitest';
import {
  availabilityOf,
  claimOutcome,
  enterPath,
  hasFieldErrors,
  parseMySeat,
  parseSeatStatus,
  pickLanguage,
  safeLink,
  validateJoinForm,
} from '../../renderer/src/join/join-logic.js';
import { JOIN_TEXTS } from '../../renderer/src/join/join-text.js';

const en = JOIN_TEXTS.en;
const de = JOIN_TEXTS.de;

describe('join page: language', () => {
  it('follows the browser language (any de-*) unless a choice is remembered', () => {
    expect(pickLanguage('de-DE')).toBe('de');
    expect(pickLanguage('de')).toBe('de');
    expect(pickLanguage('DE-at')).toBe('de');
    expect(pickLanguage('en-US')).toBe('en');
    expect(pickLanguage('fr')).toBe('en');
    expect(pickLanguage('dev')).toBe('en');
    expect(pickLanguage(undefined)).toBe('en');
    expect(pickLanguage('de-DE', 'en')).toBe('en');
    expect(pickLanguage('en-GB', 'de')).toBe('de');
    expect(pickLanguage('de-CH', 'fr')).toBe('de');
  });

  it('has the same texts in both languages', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
    expect(de.seatsFree(3, 10)).toBe('3 von 10 Plätzen frei');
    expect(en.seatsFree(1, 1)).toBe('1 of 1 seat free');
  });
});

describe('join page: status and seat answers (contract schemas)', () => {
  it('reads the status and tells open, full and closed apart', () => {
    const status = parseSeatStatus({ available: 2, total: 5, claimed: 3, registrationOpen: true, group: 'ws' });
    expect(status).toEqual({ available: 2, total: 5, claimed: 3, registrationOpen: true, group: 'ws' });
    expect(availabilityOf(status)).toBe('open');
    expect(availabilityOf({ available: 0, total: 5, claimed: 5, registrationOpen: true, group: 'ws' })).toBe('full');
    expect(availabilityOf({ available: 4, total: 5, claimed: 1, registrationOpen: false, group: 'ws' })).toBe('closed');
    expect(availabilityOf(null)).toBe('loading');
  });

  it('refuses bodies that are not the contract shape', () => {
    expect(parseSeatStatus({ available: -1, total: 5, claimed: 3, registrationOpen: true, group: null })).toBeNull();
    expect(parseSeatStatus({ available: 1, total: 5, claimed: 3, registrationOpen: 'yes', group: null })).toBeNull();
    expect(parseSeatStatus('<html>')).toBeNull();
    expect(parseMySeat({ success: true, name: 'Ada' })).toBeNull();
    const seat = { success: true, name: 'Ada', projectName: 'Seat 1', workspaceUrl: 'http://lan.test:8080/w/abc/', enterUrl: '/join/enter', claimedAt: '2026-12-01T10:00:00.000Z' };
    expect(parseMySeat(seat)).toEqual(seat);
  });

  it('enters through a same-origin path only', () => {
    expect(enterPath('/join/enter')).toBe('/join/enter');
    expect(enterPath('/join/enter?x=1')).toBe('/join/enter?x=1');
    expect(enterPath('//evil.example/join/enter')).toBe('/join/enter');
    expect(enterPath('https://evil.example/')).toBe('/join/enter');
    expect(enterPath('javascript:alert(1)')).toBe('/join/enter');
    expect(enterPath('/\\evil.example')).toBe('/join/enter');
    expect(enterPath(undefined)).toBe('/join/enter');
  });
});

describe('join page: form checks', () => {
  it('accepts a name and an e-mail address, trimming both', () => {
    expect(validateJoinForm('  Ada Lovelace ', ' ada@example.org ', en)).toEqual({});
  });

  it('names each problem in the page language', () => {
    expect(validateJoinForm('', '', en)).toEqual({ name: en.nameRequired, email: en.emailRequired });
    expect(validateJoinForm('   ', 'ada', de)).toEqual({ name: de.nameRequired, email: de.emailInvalid });
    expect(validateJoinForm('x'.repeat(101), 'a@b', en)).toEqual({ name: en.nameTooLong(100), email: en.emailInvalid });
    expect(validateJoinForm('x'.repeat(100), `${'a'.repeat(250)}@b.de`, en)).toEqual({ email: en.emailTooLong(254) });
    expect(validateJoinForm('Ada\u0007', 'a b@c.de', en)).toEqual({ name: en.nameInvalid, email: en.emailInvalid });
    expect(validateJoinForm('Ada', 'a@b@c.de', en).email).toBe(en.emailInvalid);
    expect(hasFieldErrors({})).toBe(false);
    expect(hasFieldErrors({ email: 'x' })).toBe(true);
  });
});

describe('join page: claim answers', () => {
  it('200 with the contract body → claimed, entering through enterUrl', () => {
    const outcome = claimOutcome(200, { success: true, workspaceUrl: 'http://lan.test:8080/w/abc/', projectName: 'Seat 1', enterUrl: '/join/enter' }, en);
    expect(outcome).toEqual({ kind: 'claimed', projectName: 'Seat 1', workspaceUrl: 'http://lan.test:8080/w/abc/', enterPath: '/join/enter' });
  });

  it('200 without the contract fields is an error, not a navigation', () => {
    expect(claimOutcome(200, { success: true }, en)).toEqual({ kind: 'error', message: en.badAnswer });
  });

  it('409 → conflict with the server message, seat name and link', () => {
    const body = { success: false, error: 'Diese E-Mail-Adresse hat bereits einen Platz', code: 'ALREADY_CLAIMED', workspaceUrl: 'http://lan.test:8080/w/abc/', projectName: 'Seat 1' };
    expect(claimOutcome(409, body, de)).toEqual({ kind: 'conflict', message: body.error, projectName: 'Seat 1', workspaceUrl: body.workspaceUrl });
  });

  it('503 and 403 REGISTRATION_CLOSED → unavailable; 400 → per-field messages; 429 and others → error', () => {
    expect(claimOutcome(503, { success: false, error: 'No seats available', code: 'NO_SEATS_AVAILABLE' }, en)).toEqual({ kind: 'unavailable', message: 'No seats available' });
    expect(claimOutcome(403, { success: false, error: 'Closed', code: 'REGISTRATION_CLOSED' }, en)).toEqual({ kind: 'unavailable', message: 'Closed' });
    expect(claimOutcome(400, { success: false, error: 'Invalid', code: 'VALIDATION_ERROR', details: { email: 'Bad e-mail' } }, en)).toEqual({
      kind: 'invalid',
      message: 'Invalid',
      fields: { email: 'Bad e-mail' },
    });
    expect(claimOutcome(429, {}, en)).toEqual({ kind: 'error', message: en.tooManyRequests });
    expect(claimOutcome(429, { success: false, error: 'Slow down', code: 'RATE_LIMITED' }, en)).toEqual({ kind: 'error', message: 'Slow down' });
    expect(claimOutcome(0, undefined, de)).toEqual({ kind: 'error', message: de.networkError });
    expect(claimOutcome(500, '<html>', en)).toEqual({ kind: 'error', message: en.networkError });
  });

  it('links only to http(s)', () => {
    expect(safeLink('/w/abc/', 'http://lan.test:8080/')).toBe('http://lan.test:8080/w/abc/');
    expect(safeLink('javascript:alert(1)', 'http://lan.test:8080/')).toBeNull();
    expect(safeLink('data:text/html,x', 'http://lan.test:8080/')).toBeNull();
  });
});
