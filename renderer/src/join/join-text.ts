/** Languages of the participant page (issue #4: German and English, switchable). */
export type JoinLanguage = 'de' | 'en';

/** Every text of the participant page, per language. Functions take the values they put into the sentence. */
export interface JoinTexts {
  pageTitle: string;
  heading: string;
  intro: string;
  groupLabel: (group: string) => string;
  seatsFree: (available: number, total: number) => string;
  seatsLoading: string;
  nameLabel: string;
  nameHint: string;
  emailLabel: string;
  emailHint: string;
  join: string;
  joining: string;
  nameRequired: string;
  nameTooLong: (max: number) => string;
  nameInvalid: string;
  emailRequired: string;
  emailInvalid: string;
  emailTooLong: (max: number) => string;
  closedTitle: string;
  closedText: string;
  fullTitle: string;
  fullText: string;
  checkAgain: string;
  conflictTitle: string;
  conflictText: (projectName: string) => string;
  conflictPassword: string;
  conflictLink: string;
  useOtherEmail: string;
  welcomeBack: (name: string) => string;
  welcomeText: (projectName: string) => string;
  continue: string;
  entering: string;
  networkError: string;
  badAnswer: string;
  tooManyRequests: string;
  statusError: string;
  privacy: string;
  languageLabel: string;
}

export const JOIN_TEXTS: Record<JoinLanguage, JoinTexts> = {
  en: {
    pageTitle: 'Join the workshop · Xares Desktop',
    heading: 'Join the workshop',
    intro: 'Enter your name and e-mail address to get your own coding workspace in the browser. No account needed.',
    groupLabel: (group) => `Workshop: ${group}`,
    seatsFree: (available, total) => `${available} of ${total} ${total === 1 ? 'seat' : 'seats'} free`,
    seatsLoading: 'Checking free seats…',
    nameLabel: 'Your name',
    nameHint: 'Shown to the workshop leader.',
    emailLabel: 'E-mail address',
    emailHint: 'Identifies your seat if you come back later.',
    join: 'Join',
    joining: 'Joining…',
    nameRequired: 'Please enter your name.',
    nameTooLong: (max) => `Your name can be at most ${max} characters long.`,
    nameInvalid: 'Your name contains characters that cannot be used.',
    emailRequired: 'Please enter your e-mail address.',
    emailInvalid: 'Please enter a valid e-mail address, like name@example.org.',
    emailTooLong: (max) => `The e-mail address can be at most ${max} characters long.`,
    closedTitle: 'Registration is closed',
    closedText: 'The workshop leader has not opened registration yet, or has closed it. Please ask them, then check again.',
    fullTitle: 'No seats left',
    fullText: 'All workspaces of this workshop are taken. Please ask the workshop leader for help.',
    checkAgain: 'Check again',
    conflictTitle: 'This e-mail address already has a seat',
    conflictText: (projectName) => `Workspace “${projectName}” was assigned to this e-mail address, from another browser.`,
    conflictPassword:
      'For your privacy, only the browser that joined first gets in without a password. To open the workspace here, ask the workshop leader for the workspace password.',
    conflictLink: 'Open the workspace (password needed)',
    useOtherEmail: 'Use a different e-mail address',
    welcomeBack: (name) => `Welcome back, ${name}`,
    welcomeText: (projectName) => `Your workspace “${projectName}” is waiting for you.`,
    continue: 'Continue to my workspace',
    entering: 'Opening your workspace…',
    networkError: 'The server cannot be reached. Check your network connection and try again.',
    badAnswer: 'The server sent an unexpected answer. Please try again or ask the workshop leader.',
    tooManyRequests: 'Too many attempts from this computer. Please wait a minute and try again.',
    statusError: 'The number of free seats could not be loaded.',
    privacy: 'Your name and e-mail address are only stored on the workshop leader’s computer.',
    languageLabel: 'Language',
  },
  de: {
    pageTitle: 'Am Workshop teilnehmen · Xares Desktop',
    heading: 'Am Workshop teilnehmen',
    intro: 'Geben Sie Ihren Namen und Ihre E-Mail-Adresse ein, um Ihren eigenen Programmier-Arbeitsplatz im Browser zu erhalten. Ein Konto ist nicht nötig.',
    groupLabel: (group) => `Workshop: ${group}`,
    seatsFree: (available, total) => `${available} von ${total} ${total === 1 ? 'Platz' : 'Plätzen'} frei`,
    seatsLoading: 'Freie Plätze werden geprüft…',
    nameLabel: 'Ihr Name',
    nameHint: 'Wird der Workshop-Leitung angezeigt.',
    emailLabel: 'E-Mail-Adresse',
    emailHint: 'Damit finden Sie Ihren Platz wieder, wenn Sie später zurückkommen.',
    join: 'Teilnehmen',
    joining: 'Einen Moment…',
    nameRequired: 'Bitte geben Sie Ihren Namen ein.',
    nameTooLong: (max) => `Ihr Name darf höchstens ${max} Zeichen lang sein.`,
    nameInvalid: 'Ihr Name enthält Zeichen, die nicht verwendet werden können.',
    emailRequired: 'Bitte geben Sie Ihre E-Mail-Adresse ein.',
    emailInvalid: 'Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@example.org.',
    emailTooLong: (max) => `Die E-Mail-Adresse darf höchstens ${max} Zeichen lang sein.`,
    closedTitle: 'Die Anmeldung ist geschlossen',
    closedText: 'Die Workshop-Leitung hat die Anmeldung noch nicht geöffnet oder bereits geschlossen. Bitte fragen Sie dort nach und versuchen Sie es dann erneut.',
    fullTitle: 'Keine Plätze mehr frei',
    fullText: 'Alle Arbeitsplätze dieses Workshops sind vergeben. Bitte wenden Sie sich an die Workshop-Leitung.',
    checkAgain: 'Erneut prüfen',
    conflictTitle: 'Diese E-Mail-Adresse hat schon einen Platz',
    conflictText: (projectName) => `Der Arbeitsplatz „${projectName}“ wurde dieser E-Mail-Adresse bereits in einem anderen Browser zugewiesen.`,
    conflictPassword:
      'Zu Ihrem Schutz kommt nur der Browser ohne Passwort hinein, mit dem Sie sich zuerst angemeldet haben. Um den Arbeitsplatz hier zu öffnen, fragen Sie die Workshop-Leitung nach dem Passwort des Arbeitsplatzes.',
    conflictLink: 'Arbeitsplatz öffnen (Passwort nötig)',
    useOtherEmail: 'Andere E-Mail-Adresse verwenden',
    welcomeBack: (name) => `Willkommen zurück, ${name}`,
    welcomeText: (projectName) => `Ihr Arbeitsplatz „${projectName}“ wartet auf Sie.`,
    continue: 'Weiter zu meinem Arbeitsplatz',
    entering: 'Ihr Arbeitsplatz wird geöffnet…',
    networkError: 'Der Server ist nicht erreichbar. Prüfen Sie Ihre Netzwerkverbindung und versuchen Sie es erneut.',
    badAnswer: 'Der Server hat unerwartet geantwortet. Bitte versuchen Sie es erneut oder fragen Sie die Workshop-Leitung.',
    tooManyRequests: 'Zu viele Versuche von diesem Computer. Bitte warten Sie eine Minute und versuchen Sie es dann erneut.',
    statusError: 'Die Zahl der freien Plätze konnte nicht geladen werden.',
    privacy: 'Name und E-Mail-Adresse werden nur auf dem Computer der Workshop-Leitung gespeichert.',
    languageLabel: 'Sprache',
  },
};
