// What the user has typed into a page, kept across the page being drawn again (a language
// switch redraws it, docs/server.md "Languages"): a half-typed form comes back as it was.
//
// keepTyped(root) notes every field under `root` that differs from what the page put there (a
// value other than its default, a box ticked or not, another choice in a list), by its id, or a
// box without one by its name and value; password and file fields are left out. It returns
// restore(), to be called once the page is being drawn again: each noted field is filled in as
// soon as it is found under `root` again (pages draw after their data arrives), with an `input`
// and a `change` event so that the page reacts as to typing. It stops when every field is back,
// at the next navigation, or after kRestoreMs.

const kRestoreMs = 10000;

function changed(field) {
  if (field.type === 'password' || field.type === 'file') return null;
  if (field.type === 'checkbox' || field.type === 'radio') {
    return field.checked !== field.defaultChecked ? { checked: field.checked } : null;
  }
  if (field.tagName === 'SELECT') {
    const chosen = [...field.options].map((o) => o.selected);
    return chosen.some((on, i) => on !== field.options[i].defaultSelected) ? { value: field.value } : null;
  }
  return field.value !== field.defaultValue ? { value: field.value } : null;
}

// The selector that finds `field` again in the page drawn anew, or null.
function selectorOf(field) {
  if (field.id) return `#${CSS.escape(field.id)}`;
  if ((field.type === 'checkbox' || field.type === 'radio') && field.name) {
    return `input[name="${CSS.escape(field.name)}"][value="${CSS.escape(field.value)}"]`;
  }
  return null;
}

export function keepTyped(root) {
  const typed = new Map(); // selector -> state
  for (const field of root.querySelectorAll('input, textarea, select')) {
    const selector = selectorOf(field);
    const state = selector && changed(field);
    if (state) typed.set(selector, state);
  }
  return function restore() {
    if (typed.size === 0) return;
    const put = () => {
      for (const [selector, state] of typed) {
        const field = root.querySelector(selector);
        if (!field) continue;
        if ('checked' in state) field.checked = state.checked;
        else field.value = state.value;
        field.dispatchEvent(new Event('input', { bubbles: true }));
        field.dispatchEvent(new Event('change', { bubbles: true }));
        typed.delete(selector);
      }
      if (typed.size === 0) stop();
    };
    const observer = new MutationObserver(put);
    const timer = setTimeout(() => stop(), kRestoreMs);
    function stop() {
      observer.disconnect();
      clearTimeout(timer);
      window.removeEventListener('hashchange', stop);
    }
    window.addEventListener('hashchange', stop);
    observer.observe(root, { childList: true, subtree: true });
    put();
  };
}
