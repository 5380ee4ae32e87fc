// The residents' page's words in Danish and English: every text the page shows comes from this
// catalogue (docs/residents.md, "Languages"). The language is the one chosen on this device with
// the page's language button, else the resident's own setting, else the browser's first language
// that is here, else English.
//
// t(key, vars) fills "{name}" placeholders from vars; a key missing from a language falls back
// to English, and a key missing from English shows as the key itself (tests/browser/residents.mjs
// checks that both languages hold the same keys). Elements with data-i18n="key" get their text, and
// data-i18n-attr="attr:key" an attribute, when applyTo() runs.

export const LANGUAGES = ['da', 'en'];

const CATALOGUE = {
  en: {
    'page.title': 'My heat',
    'lang.switch': 'Dansk',
    'lang.switch.label': 'Vis siden på dansk',
    'login.heading': 'Log in to see your meter',
    'login.address': 'Your e-mail address or phone number',
    'login.send': 'Send me a code',
    'login.sent': 'If this address belongs to a resident, a code is on its way. It works once, for 10 minutes.',
    'login.code': 'The code you received (8 digits)',
    'login.submit': 'Log in',
    'login.again': 'Use another address',
    'login.password.use': 'Log in with my password',
    'login.password': 'Your password',
    'login.password.wrong': 'Wrong address or password. You can also ask for a code.',
    'login.code.use': 'Send me a code instead',
    'login.link.wrong': 'This login link is used or expired. Ask for a new code.',
    'password.heading': 'Password',
    'password.none': 'You log in with a code we send you. You can also choose a password.',
    'password.set': 'You can log in with your password or with a code.',
    'password.new': 'New password (at least 8 characters)',
    'password.save': 'Save password',
    'password.remove': 'Remove password',
    'password.saved': 'Saved. You are logged out everywhere else.',
    'password.removed': 'Removed. From now on you log in with a code.',
    'password.short': 'The password must have at least 8 characters.',
    'login.wrong': 'That code is wrong, used or expired. Ask for a new one if needed.',
    'login.wait': 'Too many tries. Try again in {seconds} seconds.',
    'error.network': 'The server cannot be reached. Check your connection and try again.',
    'logout': 'Log out',
    'meters.none': 'No meters are linked to your login. Ask your cooperative.',
    'meter.heading': '{name} (meter {serial})',
    'credit.heading': 'Credit',
    'credit.left': 'Left',
    'credit.money': 'Worth',
    'credit.price': 'at {price} kr per {unit}',
    'credit.days': 'Days left',
    'credit.closes': 'Heat closes about',
    'credit.beyond': 'more than 400 days',
    'credit.closed': 'used up',
    'credit.none': 'not enough history yet',
    'method.seasonal': 'Estimated from your use on the same days of earlier years.',
    'method.recent': 'Estimated from your use over the last 7 days.',
    'method.none': 'There is not enough history yet for an estimate.',
    'valve.heading': 'Heat',
    'valve.open': 'on (valve open)',
    'valve.closed': 'off (valve closed): pay to open it again',
    'valve.unknown': 'not known yet',
    'valve.none': 'not prepaid',
    'seen.heading': 'Last reading',
    'seen.never': 'none yet',
    'use.heading': 'Your use',
    'use.period': 'Period',
    'use.day': 'Days',
    'use.week': 'Weeks',
    'use.month': 'Months',
    'use.year': 'Years',
    'use.col.period': 'Period',
    'use.col.use': 'You',
    'use.col.last_year': 'Last year',
    'use.col.median': 'Typical home',
    'use.col.weather': 'Last year, this weather',
    'use.weather.note': 'Last year, this weather: what you used last year, scaled to how cold it has been this time (heating degree days, up to yesterday). Shown when both years\' days are known.',
    'use.median.note': 'Last year is the same period a year earlier. The typical home is the median of the similar meters in your group, shown only when there are at least 3, so nobody\'s own use can be read from it.',
    'use.none': 'No readings in this span yet.',
    'payments.heading': 'Payments',
    'payments.col.time': 'Date',
    'payments.col.amount': 'Amount',
    'payments.col.price': 'Price',
    'payments.col.credited': 'Credited',
    'payments.none': 'No payments yet.',
    'payments.voided': 'cancelled',
    'pay.heading': 'How to pay',
    'pay.qr': 'Scan to pay',
    'pay.none': 'Ask your cooperative how to pay.',
    'data.heading': 'Your data',
    'data.text': 'Download what is kept about you and your meters:',
    'data.json': 'everything (JSON)',
    'data.readings': 'daily readings (CSV)',
    'data.payments': 'payments (CSV)',
    'prefs.heading': 'Messages to you',
    'prefs.notices': 'Which messages',
    'prefs.notices.all': 'All: payments received, running low, heat closed',
    'prefs.notices.essential': 'Only running low and heat closed',
    'prefs.notices.none': 'None',
    'prefs.channel': 'Send them by',
    'prefs.channel.auto': 'E-mail if I have an address, else SMS',
    'prefs.channel.email': 'E-mail to {address}',
    'prefs.channel.sms': 'SMS to {address}',
    'prefs.low': 'Tell me credit is running low',
    'prefs.low.default': "When the cooperative's setting says",
    'prefs.low.days': 'With {days} days left',
    'prefs.language': 'Language of this page',
    'prefs.language.browser': "My browser's",
    'prefs.save': 'Save',
    'prefs.saved': 'Saved.',
  },
  da: {
    'page.title': 'Min varme',
    'lang.switch': 'English',
    'lang.switch.label': 'Show the page in English',
    'login.heading': 'Log ind og se din måler',
    'login.address': 'Din e-mailadresse eller dit telefonnummer',
    'login.send': 'Send mig en kode',
    'login.sent': 'Hvis adressen tilhører en beboer, er en kode på vej. Den virker én gang, i 10 minutter.',
    'login.code': 'Koden du modtog (8 cifre)',
    'login.submit': 'Log ind',
    'login.again': 'Brug en anden adresse',
    'login.password.use': 'Log ind med min adgangskode',
    'login.password': 'Din adgangskode',
    'login.password.wrong': 'Forkert adresse eller adgangskode. Du kan også bede om en kode.',
    'login.code.use': 'Send mig en kode i stedet',
    'login.link.wrong': 'Dette login-link er brugt eller udløbet. Bed om en ny kode.',
    'password.heading': 'Adgangskode',
    'password.none': 'Du logger ind med en kode, som vi sender dig. Du kan også vælge en adgangskode.',
    'password.set': 'Du kan logge ind med din adgangskode eller med en kode.',
    'password.new': 'Ny adgangskode (mindst 8 tegn)',
    'password.save': 'Gem adgangskode',
    'password.remove': 'Fjern adgangskode',
    'password.saved': 'Gemt. Du er nu logget ud alle andre steder.',
    'password.removed': 'Fjernet. Fra nu af logger du ind med en kode.',
    'password.short': 'Adgangskoden skal have mindst 8 tegn.',
    'login.wrong': 'Koden er forkert, brugt eller udløbet. Bed om en ny, hvis det er nødvendigt.',
    'login.wait': 'For mange forsøg. Prøv igen om {seconds} sekunder.',
    'error.network': 'Serveren kan ikke nås. Tjek din forbindelse og prøv igen.',
    'logout': 'Log ud',
    'meters.none': 'Der er ingen målere knyttet til dit login. Spørg dit fjernvarmeselskab.',
    'meter.heading': '{name} (måler {serial})',
    'credit.heading': 'Saldo',
    'credit.left': 'Tilbage',
    'credit.money': 'Værdi',
    'credit.price': 'til {price} kr. pr. {unit}',
    'credit.days': 'Dage tilbage',
    'credit.closes': 'Varmen lukker cirka',
    'credit.beyond': 'mere end 400 dage',
    'credit.closed': 'brugt op',
    'credit.none': 'endnu ikke nok historik',
    'method.seasonal': 'Beregnet ud fra dit forbrug på de samme dage i tidligere år.',
    'method.recent': 'Beregnet ud fra dit forbrug de seneste 7 dage.',
    'method.none': 'Der er endnu ikke historik nok til et skøn.',
    'valve.heading': 'Varme',
    'valve.open': 'tændt (ventilen er åben)',
    'valve.closed': 'slukket (ventilen er lukket): betal for at åbne den igen',
    'valve.unknown': 'endnu ukendt',
    'valve.none': 'ikke forudbetalt',
    'seen.heading': 'Seneste aflæsning',
    'seen.never': 'ingen endnu',
    'use.heading': 'Dit forbrug',
    'use.period': 'Periode',
    'use.day': 'Dage',
    'use.week': 'Uger',
    'use.month': 'Måneder',
    'use.year': 'År',
    'use.col.period': 'Periode',
    'use.col.use': 'Dig',
    'use.col.last_year': 'Sidste år',
    'use.col.median': 'Typisk bolig',
    'use.col.weather': 'Sidste år, dette vejr',
    'use.weather.note': 'Sidste år, dette vejr: dit forbrug sidste år, omregnet til hvor koldt det har været denne gang (graddage, til og med i går). Vises når begge års dage kendes.',
    'use.median.note': 'Sidste år er samme periode et år før. Den typiske bolig er medianen af de lignende målere i din gruppe, kun vist når der er mindst 3, så ingens eget forbrug kan aflæses.',
    'use.none': 'Ingen aflæsninger i perioden endnu.',
    'payments.heading': 'Indbetalinger',
    'payments.col.time': 'Dato',
    'payments.col.amount': 'Beløb',
    'payments.col.price': 'Pris',
    'payments.col.credited': 'Krediteret',
    'payments.none': 'Ingen indbetalinger endnu.',
    'payments.voided': 'annulleret',
    'pay.heading': 'Sådan betaler du',
    'pay.qr': 'Scan for at betale',
    'pay.none': 'Spørg dit fjernvarmeselskab, hvordan du betaler.',
    'data.heading': 'Dine data',
    'data.text': 'Hent det, der er gemt om dig og dine målere:',
    'data.json': 'det hele (JSON)',
    'data.readings': 'daglige aflæsninger (CSV)',
    'data.payments': 'indbetalinger (CSV)',
    'prefs.heading': 'Beskeder til dig',
    'prefs.notices': 'Hvilke beskeder',
    'prefs.notices.all': 'Alle: indbetaling modtaget, saldoen er lav, varmen er lukket',
    'prefs.notices.essential': 'Kun saldoen er lav og varmen er lukket',
    'prefs.notices.none': 'Ingen',
    'prefs.channel': 'Send dem som',
    'prefs.channel.auto': 'E-mail hvis jeg har en adresse, ellers SMS',
    'prefs.channel.email': 'E-mail til {address}',
    'prefs.channel.sms': 'SMS til {address}',
    'prefs.low': 'Sig til, når saldoen er lav',
    'prefs.low.default': 'Når fjernvarmeselskabets indstilling siger det',
    'prefs.low.days': 'Med {days} dage tilbage',
    'prefs.language': 'Sidens sprog',
    'prefs.language.browser': 'Min browsers',
    'prefs.save': 'Gem',
    'prefs.saved': 'Gemt.',
  },
};

let current = 'en';
// The words t() reads: the residents' above, unless the page's bundle uses another table of the
// same shape (the staff dashboard's, i18n_dashboard.js, docs/server.md "Languages").
let words = CATALOGUE;
const LOCALES = { da: 'da-DK', en: 'en-GB' };

export function useCatalogue(catalogue) {
  words = catalogue;
}

export function language() {
  return current;
}

// The locale of the language, for Intl's dates and months.
export function locale() {
  return LOCALES[current];
}

// The keys of each language, for the catalogue check.
export function catalogueKeys(lang) {
  return Object.keys(words[lang] || {});
}

// The language to show: the one chosen on this device, else `preferred` (the resident's
// setting) when it is one of ours, else the browser's, else English.
export function chooseLanguage(preferred) {
  const stored = (() => {
    try {
      return localStorage.getItem('ml_language');
    } catch {
      return null;
    }
  })();
  const candidates = [stored, preferred, ...(navigator.languages || [navigator.language])];
  for (const c of candidates) {
    const base = String(c || '').toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

export function setLanguage(lang, remember = false) {
  current = LANGUAGES.includes(lang) ? lang : 'en';
  document.documentElement.lang = current;
  if (remember) {
    try {
      localStorage.setItem('ml_language', current);
    } catch {
      // private browsing: the choice lasts for this page only
    }
  }
}

export function t(key, vars = {}) {
  const text = (words[current] && words[current][key]) ?? words.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

// Every [data-i18n] and [data-i18n-attr] under root, in the current language.
export function applyTo(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.split(',')) {
      const [attr, key] = pair.split(':');
      node.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}
