/**
 * The sign-in the agent, compliance and operations consoles share: one markup, one request, one
 * role check. It fills the page's empty `<form id="login" data-roles="…" data-failed="…">` and its
 * empty language `<select id="language">`, and gives the page `forbearSignIn`:
 *   current()              the signed-in person if their role is one of the page's, else null;
 *   onSubmit(text, enter)  handles the form: `text(key)` is the page's catalog lookup, `enter(me)`
 *                          runs once someone with one of the page's roles has signed in.
 * Loaded with `defer` before the page's own script, so the markup is there when that script runs.
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
