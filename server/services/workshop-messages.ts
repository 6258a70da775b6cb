/**
 * Participant-facing messages of the workshop API in German and English (issue #4 "Messages in German and
 * English"). The German texts of "already registered" and "no seats" are the contract's own
 * (api-reference "Claim Workspace"). Only the public endpoints (status, claim, me, `/join/enter`) use them;
 * admin endpoints answer in English like the rest of the admin API.
 */

/** Languages we answer participants in. */
export type WorkshopLanguage = 'de' | 'en';

/** Every participant-facing message, by key. */
export interface WorkshopMessageTable {
  alreadyClaimed: string;
  /** 409 when the browser's participant cookie already stands for an active seat of the open group. */
  browserHasSeat: string;
  noSeatsAvailable: string;
  registrationClosed: string;
  rateLimited: string;
  invalidName: string;
  /** The name has characters that cannot be used (control, invisible formatting or blank-looking ones). */
  nameCharacters: string;
  invalidEmail: string;
  invalidRequest: string;
  unsupportedMediaType: string;
  payloadTooLarge: string;
  noActiveSeat: string;
  internalError: string;
}

/** The message texts. German first: most workshops this was made for are held in German. */
export const WORKSHOP_MESSAGES: Readonly<Record<WorkshopLanguage, WorkshopMessageTable>> = {
  de: {
    alreadyClaimed: 'Diese E-Mail-Adresse ist bereits registriert.',
    browserHasSeat: 'Dieser Browser hat bereits einen Workspace: Öffnen Sie ihn über den Link. Für einen weiteren wenden Sie sich bitte an den Workshop-Leiter.',
    noSeatsAvailable: 'Leider sind keine Workspaces mehr verfügbar. Bitte wenden Sie sich an den Workshop-Leiter.',
    registrationClosed: 'Die Anmeldung ist derzeit geschlossen. Bitte wenden Sie sich an den Workshop-Leiter.',
    rateLimited: 'Zu viele Anmeldeversuche. Bitte warten Sie eine Minute und versuchen Sie es erneut.',
    invalidName: 'Bitte geben Sie Ihren Namen ein (höchstens 100 Zeichen).',
    nameCharacters: 'Ihr Name enthält Zeichen, die nicht verwendet werden können (z. B. unsichtbare Zeichen). Bitte entfernen Sie sie.',
    invalidEmail: 'Bitte geben Sie eine gültige E-Mail-Adresse ein (z. B. name@example.org).',
    invalidRequest: 'Die Anfrage ist ungültig. Bitte laden Sie die Seite neu und versuchen Sie es erneut.',
    unsupportedMediaType: 'Die Anfrage wurde im falschen Format gesendet. Bitte laden Sie die Seite neu und versuchen Sie es erneut.',
    payloadTooLarge: 'Die Anfrage ist zu groß. Bitte kürzen Sie Ihre Eingaben und versuchen Sie es erneut.',
    noActiveSeat: 'Dieser Browser hat keinen Workspace. Bitte melden Sie sich an.',
    internalError: 'Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es erneut.',
  },
  en: {
    alreadyClaimed: 'This e-mail address is already registered.',
    browserHasSeat: 'This browser already has a seat: open it with the link. Please ask the workshop leader if you need another one.',
    noSeatsAvailable: 'Sorry, no workspaces are available any more. Please ask the workshop leader.',
    registrationClosed: 'Registration is closed at the moment. Please ask the workshop leader.',
    rateLimited: 'Too many registration attempts. Please wait a minute and try again.',
    invalidName: 'Please enter your name (at most 100 characters).',
    nameCharacters: 'Your name contains characters that cannot be used (e.g. invisible ones). Please remove them.',
    invalidEmail: 'Please enter a valid e-mail address (e.g. name@example.org).',
    invalidRequest: 'The request is not valid. Please reload the page and try again.',
    unsupportedMediaType: 'The request was sent in the wrong format. Please reload the page and try again.',
    payloadTooLarge: 'The request is too large. Please shorten what you entered and try again.',
    noActiveSeat: 'This browser has no workspace. Please register.',
    internalError: 'Something went wrong on the server. Please try again.',
  },
};

/** The message `key` in `language`. */
export function workshopMessage(key: keyof WorkshopMessageTable, language: WorkshopLanguage): string {
  return WORKSHOP_MESSAGES[language][key];
}

/**
 * The participant's language from an `Accept-Language` header (RFC 9110 §12.5.4): the entries are ranked by
 * their `q` weight (header order breaks ties, `q=0` means "not this one"), and the first whose primary tag is
 * `de` or `en` decides. German when that is `de`; English otherwise, also when the header is missing,
 * malformed or names neither. The join page switches language by sending `Accept-Language: de` or `en`.
 */
export function languageFromAcceptLanguage(header: string | undefined): WorkshopLanguage {
  if (typeof header !== 'string' || header.length === 0 || header.length > 1000) return 'en';
  const ranked: { tag: string; q: number; index: number }[] = [];
  header.split(',').forEach((part, index) => {
    const [rawTag, ...params] = part.trim().split(';');
    const tag = (rawTag ?? '').trim().toLowerCase();
    if (tag === '') return;
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(param);
      if (match) q = Number(match[1]);
    }
    if (q > 0) ranked.push({ tag, q, index });
  });
  ranked.sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    const primary = tag.split('-')[0];
    if (primary === 'de') return 'de';
    if (primary === 'en') return 'en';
  }
  return 'en';
}
