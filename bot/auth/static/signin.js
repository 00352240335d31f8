/**
 * The sign-in the agent, compliance and operations consoles share: one markup, one request, one
 * role check. It fills the page's empty `<form id="login" data-roles="…" data-failed="…">` and its
 * empty language `<select id="language">`, and gives the page `forbearSignIn`:
 *   current()              the signed-in person if their role is one of the page's, else null;
 *   onSubmit(text, enter)  handles the form: `text(key)` is the page's catalog lookup, `enter(me)`
 *                          runs once someone with one of the page's roles has signed in.
 * Loaded with `defer` before the page's own script, so the markup is there when that script runs.
 * It also gives the pages `forbearConsole`: `$` and `el` (DOM), `catalog(state)` (the page's catalog
 * lookup, `{name}` filled) and `translate(lang, text)` (the language choice, `data-text`, `data-label`).
 *
 * It also gives the pages' date fields (`<input data-date>`) one behaviour in the console's language,
 * not the browser's: `<input type="date">` draws its own format from the browser's locale (mm/dd/yyyy
 * in a Chinese console on an American browser). A date field is a text field with a visible hint
 * ("年-月-日，如 2026-11-30"), read as year-month-day (2026-11-30, 2026/11/30, 2026年11月30日,
 * full-width digits) and rewritten as 2026-11-30 when the reader leaves it; anything else, or a day
 * that does not exist, stops the form with the page's own message. `forbearDates.translate(text)`
 * (from the page's translate) puts the hint and the message in the chosen language.
 */
(() => {
  const form = document.getElementById('login');
  const roles = form.dataset.roles.split(' ');
  form.innerHTML = [
    '<h2 data-text="agent.login"></h2>',
    '<label><span data-text="agent.name"></span><input name="name" autocomplete="username" required /></label>',
    '<label><span data-text="agent.password"></span><input name="password" type="password" autocomplete="current-password" required /></label>',
    '<button type="submit" data-text="agent.sign_in"></button>',
    '<p class="error" id="login-error" role="alert"></p>',
  ].join('');
  const language = document.getElementById('language');
  if (language && language.options.length === 0) {
    for (const [value, label] of [['zh-CN', '简体'], ['zh-TW', '繁體'], ['en', 'English']]) language.add(new Option(label, value));
  }
  const allowed = (me) => roles.includes(me.role);

  /** '2026-11-30' for a real day written year-month-day, '' for nothing, null for anything else. */
  const readDate = (raw) => {
    const v = raw.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).trim();
    if (v === '') return '';
    const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(v) || /^(\d{4})(\d{2})(\d{2})$/.exec(v);
    if (!m) return null;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const day = new Date(Date.UTC(y, mo - 1, d));
    return day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d ? day.toISOString().slice(0, 10) : null;
  };
  const dateFields = [...document.querySelectorAll('input[data-date]')];
  let dateText = (key) => key;
  const check = (input) => {
    const ok = readDate(input.value) !== null;
    input.setCustomValidity(ok ? '' : dateText('agent.date_invalid'));
    input.setAttribute('aria-invalid', String(!ok));
    return ok;
  };
  for (const input of dateFields) {
    Object.assign(input, { type: 'text', inputMode: 'numeric', autocomplete: 'off', spellcheck: false });
    const hint = Object.assign(document.createElement('small'), { id: `${input.name}-date-hint`, className: 'hint' });
    hint.dataset.text = 'agent.date_hint';
    input.setAttribute('aria-describedby', hint.id);
    input.after(hint);
    input.addEventListener('input', () => check(input));
    input.addEventListener('change', () => {
      if (check(input) && input.value) input.value = readDate(input.value);
    });
    // Before the page's own submit handler (registered later): it reads the rewritten value.
    input.form.addEventListener('submit', () => {
      if (check(input) && input.value) input.value = readDate(input.value);
    });
  }
  window.forbearDates = {
    translate(text) {
      dateText = text;
      for (const input of dateFields) check(input);
    },
  };

  // Signing out is the same in every console: the session ends on the server and the page starts
  // again at the sign-in (a reload also closes the agent console's event stream). The page shows the
  // button once someone has signed in.
  document.getElementById('logout').addEventListener('click', async () => {
    await fetch('/agent/api/logout', { method: 'POST', headers: { 'x-forbear-console': '1' } });
    location.reload();
  });

  // What every console page's own script takes from the DOM and its catalog texts, written once.
  window.forbearConsole = {
    $: (id) => document.getElementById(id),
    el(tag, props = {}, ...children) {
      const node = Object.assign(document.createElement(tag), props);
      node.append(...children.filter((c) => c !== null && c !== undefined));
      return node;
    },
    /** The page's catalog lookup: `state.texts[state.lang][key]` with `{name}` filled from `vars`; the key itself when missing. */
    catalog: (state) => (key, vars = {}) => ((state.texts[state.lang] || {})[key] || key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? '')),
    /** Puts the page in `lang`: its language choice and every `data-text` and `data-label` element, read with `text`. */
    translate(lang, text) {
      document.documentElement.lang = lang;
      language.value = lang;
      for (const node of document.querySelectorAll('[data-text]')) node.textContent = text(node.dataset.text);
      for (const node of document.querySelectorAll('[data-label]')) node.setAttribute('aria-label', text(node.dataset.label));
    },
  };

  window.forbearSignIn = {
    async current() {
      const res = await fetch('/agent/api/me');
      if (!res.ok) return null;
      const me = await res.json();
      return allowed(me) ? me : null;
    },
    onSubmit(text, enter) {
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const data = new FormData(form);
        const res = await fetch('/agent/api/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forbear-console': '1' },
          body: JSON.stringify({ name: data.get('name'), password: data.get('password') }),
        });
        const me = await res.json().catch(() => ({}));
        if (!res.ok || !allowed(me)) {
          // 429: this name or address is locked out after too many wrong passwords.
          document.getElementById('login-error').textContent = text(res.status === 429 ? 'agent.login_locked' : form.dataset.failed);
          return;
        }
        await enter(me);
      });
    },
  };
})();
