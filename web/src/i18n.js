// The pages' languages, Danish and English (docs/residents.md and docs/server.md, "Languages"):
// the machinery both the residents' page and the staff dashboard read their words through, each
// from a table of its own (i18n_resident.js, i18n_dashboard.js), handed over with useCatalogue()
// when the page starts. The language is the one chosen on this device with a page's language
// button (one choice for both pages), else the page's `preferred` one (a resident's own setting),
// else the browser's first language that is here, else English.
//
// t(key, vars) fills "{name}" placeholders from vars; a key missing from a language falls back
// to English, and a key missing from English shows as the key itself (the browser tests check
// that both languages of each table hold the same keys). Elements with data-i18n="key" get their
// text, and data-i18n-attr="attr:key" an attribute, when applyTo() runs.

export const LANGUAGES = ['da', 'en'];

let current = 'en';
// The words t() reads: the page's table (useCatalogue), none until it is given.
let words = { da: {}, en: {} };
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
