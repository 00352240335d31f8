// The agent console: plain DOM, polling the console API every 2 s. Texts come from the catalogs.
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { texts: {}, lang: localStorage.getItem('forbear.agent.lang') || 'zh-CN', selected: null, me: null };
  const text = (key) => (state.texts[state.lang] || {})[key] || key;
  const api = async (path, body) => {
    const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json', 'x-forbear-console': '1' }, body: JSON.stringify(body) };
    const res = await fetch(`/agent/api/${path}`, init);
    const data = await res.json().catch(() => ({}));
    return { ok: res.ok, status: res.status, data };
  };
  // Amounts stay integers of minor units; they become decimal strings only for display.
  const decimal = (minor) => {
    const digits = String(Math.abs(minor)).padStart(3, '0');
    return `${minor < 0 ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
  };
  const money = (minor, currency) =>
    minor === null || minor === undefined ? '—' : new Intl.NumberFormat(state.lang, { style: 'currency', currency: currency || 'CNY' }).format(decimal(minor));
  const toMinor = (value) => {
    const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(value.trim());
    return m ? Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0')) : undefined;
  };

  function translate() {
    document.documentElement.lang = state.lang;
    $('language').value = state.lang;
    for (const el of document.querySelectorAll('[data-text]')) el.textContent = text(el.dataset.text);
  }

  async function showDesk() {
    $('login').hidden = true;
    $('desk').hidden = false;
    $('who').textContent = `${state.me.name} (${text(`agent.role_${state.me.role}`)})`;
    await refresh();
    setInterval(refresh, 2000);
  }

  async function refresh() {
    const queue = await api('queue');
    if (!queue.ok) return;
    const list = $('queue');
    list.replaceChildren(
      ...queue.data.cases.map((c) => {
        const li = document.createElement('li');
        li.className = `urgency-${c.handoff.urgency}${c.conversationId === state.selected ? ' selected' : ''}`;
        li.dataset.id = c.conversationId;
        li.textContent = `${text(`agent.reason_${c.handoff.reason}`)} · ${text(`agent.status_${c.status}`)} · ${c.openedAt.slice(11, 16)}`;
        li.addEventListener('click', () => select(c.conversationId));
        return li;
      }),
    );
    if (state.selected) await showCase(state.selected);
  }

  async function select(id) {
    state.selected = id;
    $('decision').textContent = '';
    await refresh();
  }

  async function showCase(id) {
    const res = await api(`cases/${encodeURIComponent(id)}`);
    if (!res.ok) return;
    const { ticket, transcript } = res.data;
    const p = ticket.packet;
    $('case').hidden = false;
    $('case-title').textContent = `${text(`agent.reason_${p.reason}`)} — ${p.identity.accountId || text('agent.unverified')}`;
    const mine = ticket.status === 'claimed' && ticket.claimedBy && ticket.claimedBy.name === state.me.name;
    $('claim').disabled = ticket.status !== 'waiting';
    for (const id of ['return', 'close']) $(id).disabled = !mine;
    for (const form of ['reply', 'approve']) for (const el of $(form).elements) el.disabled = !mine;
    const currency = p.account && p.account.currency;
    const rows = [
      ['agent.urgency', text(`agent.urgency_${p.urgency}`)],
      ['agent.bucket', p.account ? `${p.account.bucket} (${p.account.daysPastDue})` : '—'],
      ['agent.balance', money(p.account && p.account.balanceMinor, currency)],
      ['agent.reason', p.situation.hardshipReason || '—'],
      ['agent.income', money(p.situation.incomeMinor, currency)],
      ['agent.expenses', money(p.situation.expensesMinor, currency)],
      ['agent.max_monthly', money(p.situation.maxMonthlyPaymentMinor, currency)],
      ['agent.offers', p.offersMade.map((o) => `${o.offerId} (${money(o.monthlyPaymentMinor, currency)})`).join(', ') || '—'],
      ['agent.asked', p.counterProposal ? JSON.stringify(p.counterProposal) : '—'],
      ['agent.rules', p.ruleIds.join(', ')],
    ];
    $('packet').replaceChildren(
      ...rows.flatMap(([key, value]) => {
        const dt = document.createElement('dt');
        dt.textContent = text(key);
        const dd = document.createElement('dd');
        dd.textContent = value;
        return [dt, dd];
      }),
    );
    $('transcript').replaceChildren(
      ...transcript
        .filter((r) => r.kind === 'activity' && r.payload.type === 'message' && r.payload.text)
        .map((r) => {
          const li = document.createElement('li');
          li.className = r.actor;
          li.textContent = r.payload.text;
          return li;
        }),
    );
  }

  async function act(path, body) {
    const res = await api(`cases/${encodeURIComponent(state.selected)}/${path}`, body || {});
    $('decision').textContent = res.ok ? text('agent.done') : `${text('agent.refused')}: ${res.data.error ? res.data.error.message : res.status}`;
    await refresh();
    return res;
  }

  $('language').addEventListener('change', (e) => {
    state.lang = e.target.value;
    localStorage.setItem('forbear.agent.lang', state.lang);
    translate();
    if (state.me) refresh();
  });
  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const res = await fetch('/agent/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: form.get('name'), password: form.get('password') }) });
    if (!res.ok) {
      $('login-error').textContent = text('agent.login_failed');
      return;
    }
    state.me = await res.json();
    await showDesk();
  });
  $('claim').addEventListener('click', () => act('claim'));
  $('return').addEventListener('click', () => act('return'));
  $('close').addEventListener('click', () => act('close', { disposition: 'resolved' }));
  $('reply').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = e.target.elements.text;
    await act('messages', { text: input.value });
    input.value = '';
  });
  $('approve').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const minor = (v) => (v === '' ? undefined : toMinor(v));
    const bps = (v) => (v === '' ? undefined : toMinor(v));
    const proposal = {
      months: f.months.value === '' ? undefined : Number(f.months.value),
      monthlyPaymentMinor: minor(f.monthly.value),
      feeWaiverBps: bps(f.fee.value),
      interestWaiverBps: bps(f.interest.value),
      settlementAmountMinor: minor(f.settlement.value),
    };
    await act('approve', { proposal: JSON.parse(JSON.stringify(proposal)) });
  });

  (async () => {
    state.texts = await (await fetch('/agent/assets/texts.json')).json();
    translate();
    const me = await api('me');
    if (me.ok) {
      state.me = me.data;
      await showDesk();
    }
  })();
})();
