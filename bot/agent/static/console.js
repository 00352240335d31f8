// The agent console: plain DOM. The queue arrives by Server-Sent Events (no polling); every label
// comes from the message catalogs; amounts stay integer minor units until they are displayed.
(() => {
  const { $, el } = forbearConsole;
  const state = {
    texts: {},
    lang: localStorage.getItem('forbear.agent.lang') || 'zh-CN',
    me: null,
    config: { dispositions: [], colleagues: [], detailUnits: {} },
    cases: [],
    heads: {},
    selected: null,
    view: null,
    seen: null,
    events: null,
    audio: null,
    clockOffset: 0,
    status: () => '',
    preview: null,
  };
  const text = forbearConsole.catalog(state);
  const known = (key) => Boolean((state.texts[state.lang] || {})[key]);
  const label = (prefix, code) => (known(`${prefix}${code}`) ? text(`${prefix}${code}`) : code);

  const api = async (path, body) => {
    const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json', 'x-forbear-console': '1' }, body: JSON.stringify(body) };
    const res = await fetch(`/agent/api/${path}`, init);
    const data = await res.json().catch(() => ({}));
    return { ok: res.ok, status: res.status, data };
  };
  const errorText = (res) => {
    const error = res.data && res.data.error;
    if (error && error.reason && known(`agent.error_${error.reason}`)) return text(`agent.error_${error.reason}`);
    if (res.status === 400 && error) return text('agent.error_invalid', { detail: error.message });
    return text('agent.error_generic', { status: res.status });
  };

  // Amounts stay integers of minor units; they become decimal strings only for display.
  const decimal = (minor) => {
    const digits = String(Math.abs(minor)).padStart(3, '0');
    return `${minor < 0 ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
  };
  const money = (minor, currency) =>
    minor === null || minor === undefined ? '—' : new Intl.NumberFormat(state.lang, { style: 'currency', currency: currency || 'CNY' }).format(decimal(minor));
  const toMinor = (value) => {
    const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(value.trim().replace(/,/g, ''));
    return m ? Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0')) : undefined;
  };
  const pct = (bps) => `${bps / 100}`;
  const rate = (bps) => `${bps / 100}%`;
  // Colleagues are named as cardholders know them (display name); an unknown login id as it is.
  const person = (name) => {
    const colleague = state.config.colleagues.find((c) => c.name === name) || (state.me && state.me.name === name ? state.me : null);
    return colleague && colleague.displayName ? colleague.displayName : name;
  };
  const localTime = (iso) => new Intl.DateTimeFormat(state.lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
  const localDate = (ymd) => new Intl.DateTimeFormat(state.lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${ymd}T00:00:00Z`));
  // Waiting time on the server's clock (the snapshot says what time it is there).
  const minutesSince = (iso) => Math.max(0, Math.floor((Date.now() - state.clockOffset - Date.parse(iso)) / 60000));

  function translate() {
    forbearConsole.translate(state.lang, text);
    fillSelects();
  }

  // Refilled on every case refresh and language change: what the agent had chosen stays chosen.
  function fill(select, options) {
    const chosen = select.value;
    select.replaceChildren(...options);
    if (options.some((o) => o.value === chosen)) select.value = chosen;
  }

  function fillSelects() {
    fill(
      document.querySelector('#close select[name="disposition"]'),
      state.config.dispositions.map((code) => el('option', { value: code, textContent: label('agent.disposition_', code) })),
    );
    fill(
      $('transfer-to'),
      state.config.colleagues
        .filter((c) => !state.me || c.name !== state.me.name)
        .map((c) => el('option', { value: c.name, textContent: `${c.displayName} · ${c.name} (${text(`agent.role_${c.role}`)})` })),
    );
    const reasons = (state.view && state.view.overrideReasons) || [];
    fill(document.querySelector('#approve select[name="override"]'), [
      el('option', { value: '', textContent: text('agent.override_none') }),
      ...reasons.map((code) => el('option', { value: code, textContent: label('agent.override_', code) })),
    ]);
  }

  // ---- what the policy and the cardholder said, in words ----
  function describeOffer(offer, currency) {
    if (offer.holding) {
      // A token payment or breathing space: never described as a plan that repays the balance.
      const i = offer.installment;
      return [
        offer.holding.kind === 'token_payment'
          ? text('agent.offer_token', { months: i.months, amount: money(i.monthlyPaymentMinor, currency), first: localDate(i.firstDueDate) })
          : text('agent.offer_breathing', { days: offer.deferral.days, resume: localDate(offer.deferral.resumeDate) }),
        text('agent.offer_holding', { remaining: money(offer.holding.remainingMinor, currency), date: localDate(offer.holding.reviewDate) }),
      ].join('；');
    }
    const parts = [];
    if (offer.settlement) parts.push(text('agent.offer_settlement', { amount: money(offer.settlement.amountMinor, currency), date: localDate(offer.settlement.payByDate) }));
    if (offer.deferral) parts.push(text('agent.offer_deferral', { days: offer.deferral.days }));
    if (offer.installment) {
      const i = offer.installment;
      parts.push(text('agent.offer_plan', { months: i.months, first: localDate(i.firstDueDate), amount: money(i.schedule[0].amountMinor, currency) }));
      parts.push(text('agent.offer_rate', { rate: rate(i.annualRateBps) }));
    }
    if (offer.concessionMinor > 0 && !offer.settlement) parts.push(text('agent.offer_waiver', { amount: money(offer.concessionMinor, currency) }));
    parts.push(text('agent.offer_total', { total: money(offer.totalRepayableMinor, currency) }));
    return parts.join('；');
  }
  function describeProposal(p, currency) {
    if (!p) return '—';
    const parts = [];
    if (p.months != null && p.tokenPaymentMinor == null) parts.push(text('agent.proposal_months', { months: p.months }));
    if (p.monthlyPaymentMinor != null) parts.push(text('agent.proposal_monthly', { amount: money(p.monthlyPaymentMinor, currency) }));
    if (p.settlementAmountMinor != null) parts.push(text('agent.proposal_settlement', { amount: money(p.settlementAmountMinor, currency) }));
    if (p.settlementDiscountBps != null) parts.push(text('agent.proposal_settlement_pct', { pct: pct(p.settlementDiscountBps) }));
    if (p.interestWaiverBps) parts.push(text('agent.proposal_interest', { pct: pct(p.interestWaiverBps) }));
    if (p.feeWaiverBps) parts.push(text('agent.proposal_fee', { pct: pct(p.feeWaiverBps) }));
    if (p.deferralDays != null) parts.push(text('agent.proposal_deferral', { days: p.deferralDays }));
    if (p.tokenPaymentMinor != null) parts.push(text('agent.proposal_token', { amount: money(p.tokenPaymentMinor, currency), months: p.months == null ? '—' : p.months }));
    if (p.breathingSpaceDays != null) parts.push(text('agent.proposal_breathing', { days: p.breathingSpaceDays }));
    return parts.join('，') || '—';
  }
  // A policy reason in words ("期数超出权限"), the rule id after it for anyone who checks; an unknown code as it is.
  const why = (code) => {
    const [head, signal] = code.split(':');
    return signal ? `${label('agent.why_', head)}：${label('agent.signal_', signal)}` : label('agent.why_', head);
  };
  // The policy states a comparison in its own units ("995200 > 497600"); which units, the server's
  // config says (the policy's one table, REASON_DETAIL_UNITS). An override's detail is its reason code.
  const detailText = (r, currency) => {
    if (!r.detail) return '';
    if (r.code === 'affordability_override' || r.code.startsWith('override_')) return label('agent.override_', r.detail);
    const m = /^(\d+) ([<>]=?) (\d+)$/.exec(r.detail);
    const unit = state.config.detailUnits[r.code];
    if (!m || !unit) return r.detail;
    const shown = (n) => (unit === 'minor' ? money(Number(n), currency) : `${Number(n) / 100}%`);
    return `${shown(m[1])} ${m[2]} ${shown(m[3])}`;
  };
  const reasonList = (reasons, currency) =>
    el('ul', { className: 'reasons' }, ...reasons.map((r) => el('li', { textContent: `${why(r.code)}${r.detail ? ` (${detailText(r, currency)})` : ''} — ${r.ruleId}` })));

  // ---- the queue ----
  // Lists re-rendered by a push keep the keyboard's place: the row that had the focus has it again.
  function keepingFocus(list, render) {
    const had = list.contains(document.activeElement) ? document.activeElement.closest('[data-id]') : null;
    render();
    const again = had && list.querySelector(`[data-id="${CSS.escape(had.dataset.id)}"] button`);
    if (again) again.focus();
  }

  function renderQueue() {
    const open = state.cases;
    $('queue-empty').hidden = open.length > 0;
    keepingFocus($('queue'), () => $('queue').replaceChildren(
      ...open.map((c) => {
        const p = c.packet;
        const button = el(
          'button',
          { type: 'button', className: 'row' },
          el('span', { className: 'row-title', textContent: `${label('agent.reason_', c.handoff.reason)} · ${text(`agent.urgency_${c.handoff.urgency}`)}` }),
          el('span', {
            className: 'row-detail',
            textContent: [p.identity.accountId || text('agent.unverified'), p.account ? p.account.bucket : null, text(`agent.lang_${c.language}`), text('agent.waited', { minutes: minutesSince(c.openedAt) })]
              .filter(Boolean)
              .join(' · '),
          }),
          el('span', { className: 'row-status', textContent: c.status === 'claimed' && c.claimedBy ? text('agent.claimed_by', { name: person(c.claimedBy.name) }) : text(`agent.status_${c.status}`) }),
        );
        button.setAttribute('aria-current', c.conversationId === state.selected ? 'true' : 'false');
        button.addEventListener('click', () => select(c.conversationId));
        const li = el('li', { className: `urgency-${c.handoff.urgency}${c.conversationId === state.selected ? ' selected' : ''}` }, button);
        li.dataset.id = c.conversationId;
        return li;
      }),
    ));
    renderApprovals();
  }

  function renderApprovals() {
    const supervisor = state.me && state.me.role === 'supervisor';
    const pending = state.cases.filter((c) => c.approval && c.approval.status === 'pending');
    $('approvals-panel').hidden = !supervisor || pending.length === 0;
    if (!supervisor) return;
    // A request already shown is kept as it is (the reason being typed, the focus, the open reasons) while it is unchanged.
    const shown = new Map([...$('approvals').children].map((li) => [li.dataset.id, li]));
    $('approvals').replaceChildren(
      ...pending.map((c) => {
        const a = c.approval;
        const key = `${state.lang}:${JSON.stringify(a)}`;
        const kept = shown.get(c.conversationId);
        if (kept && kept.dataset.key === key) return kept;
        const currency = c.packet.account && c.packet.account.currency;
        const reason = el('input', { name: 'reason', required: false });
        const labelled = el('label', {}, el('span', { textContent: text('agent.decline_reason') }), reason);
        const approve = el('button', { type: 'button', textContent: text('agent.approve_request') });
        const decline = el('button', { type: 'button', className: 'secondary', textContent: text('agent.decline_request') });
        const status = el('p', { className: 'status', role: 'status' });
        const decide = async (yes) => {
          const res = await api(`cases/${encodeURIComponent(c.conversationId)}/approval-request/decision`, { approve: yes, reason: reason.value });
          status.textContent = res.ok ? text('agent.sent') : errorText(res);
        };
        approve.addEventListener('click', () => decide(true));
        decline.addEventListener('click', () => decide(false));
        const li = el(
          'li',
          { className: 'approval card' },
          el('strong', { textContent: `${c.packet.identity.accountId || '—'} · ${text('agent.requested_by', { name: person(a.requestedBy) })}` }),
          el('p', { textContent: text('agent.labelled', { label: text('agent.proposed'), value: `${describeProposal(a.proposal, currency)}${a.override ? ` · ${label('agent.override_', a.override.reasonCode)}` : ''}` }) }),
          el('p', { textContent: text('agent.labelled', { label: text('agent.terms'), value: describeOffer(a.offer, currency) }) }),
          a.note ? el('p', { textContent: text('agent.agent_note', { note: a.note }) }) : null,
          el('details', {}, el('summary', { textContent: text('agent.reasons') }), reasonList(a.reasons, currency)),
          labelled,
          el('div', { className: 'actions' }, approve, decline),
          status,
        );
        Object.assign(li.dataset, { id: c.conversationId, key });
        return li;
      }),
    );
  }

  // ---- one case ----
  async function select(id) {
    const moved = state.selected !== id;
    state.selected = id;
    if (moved) listen();
    state.status = () => '';
    $('status').textContent = '';
    state.preview = null;
    renderPreview();
    renderQueue();
    await showCase();
    $('case-title').focus();
  }

  function speakerOf(record, records) {
    if (record.actor === 'cardholder') return text('agent.speaker_cardholder');
    if (record.actor === 'bot') return text('agent.speaker_bot');
    if (record.actor === 'agent') {
      // The person behind a reply is the one whose action is recorded next to it.
      let best = null;
      for (const r of records) {
        if (r.kind !== 'decision' || r.payload.type !== 'agent_action') continue;
        if (!best || Math.abs(r.seq - record.seq) < Math.abs(best.seq - record.seq)) best = r;
      }
      // Named as the cardholder read it (display name).
      return text('agent.speaker_agent', { name: best ? person(best.payload.agentId) : '' });
    }
    return text('agent.speaker_system');
  }

  async function showCase() {
    if (!state.selected) return;
    const res = await api(`cases/${encodeURIComponent(state.selected)}`);
    if (!res.ok) return;
    state.view = res.data;
    const { ticket, transcript } = res.data;
    const p = ticket.packet;
    const currency = p.account && p.account.currency;
    $('no-case').hidden = true;
    $('case-body').hidden = false;
    $('case-title').textContent = `${label('agent.reason_', p.reason)} — ${p.identity.accountId || text('agent.unverified')}`;
    const mine = ticket.status === 'claimed' && ticket.claimedBy && ticket.claimedBy.name === state.me.name;
    const open = ticket.status === 'waiting' || ticket.status === 'claimed';
    $('claim').disabled = ticket.status !== 'waiting';
    $('release').disabled = !mine;
    $('transfer').disabled = !(mine || (open && ticket.status === 'claimed' && state.me.role === 'supervisor'));
    $('return').disabled = !mine;
    for (const form of ['reply', 'approve', 'close']) for (const input of $(form).elements) input.disabled = !mine;
    // Notes stay open after the case ends: the wrap-up is written then.
    $('request-approval').hidden = state.me.role === 'supervisor';
    fillSelects();

    const offers = [];
    for (const o of p.offersMade) if (!offers.some((x) => x.offerId === o.offerId)) offers.push(o);
    const rows = [
      ['agent.urgency', text(`agent.urgency_${p.urgency}`)],
      ['agent.account', p.identity.accountId || text('agent.unverified')],
      ['agent.language', text(`agent.lang_${p.language}`)],
      ['agent.bucket', p.account ? `${p.account.bucket} (${p.account.daysPastDue})` : '—'],
      ['agent.balance', money(p.account && p.account.balanceMinor, currency)],
      ['agent.reason', p.situation.hardshipReason ? label('agent.hardship_', p.situation.hardshipReason) : '—'],
      ['agent.income', money(p.situation.incomeMinor, currency)],
      ['agent.expenses', money(p.situation.expensesMinor, currency)],
      ['agent.max_monthly', money(p.situation.maxMonthlyPaymentMinor, currency)],
      ['agent.signals', p.situation.signals.map((s) => label('agent.signal_', s)).join('、') || '—'],
      ['agent.offers', offers.map((o) => (o.months ? `${text('agent.proposal_months', { months: o.months })} · ${money(o.monthlyPaymentMinor, currency)}` : money(o.totalRepayableMinor, currency))).join('；') || '—'],
      ['agent.asked', describeProposal(p.counterProposal, currency)],
      ['agent.rules', p.ruleIds.join(', ')],
    ];
    $('packet').replaceChildren(...rows.flatMap(([key, value]) => [el('dt', { textContent: text(key) }), el('dd', { textContent: value })]));

    const progress = [];
    if (ticket.arrangement) {
      progress.push(el('p', { className: 'done', textContent: text('agent.arrangement_done', { reference: ticket.arrangement.reference }) }));
      progress.push(el('p', { textContent: describeOffer(ticket.arrangement.offer, currency) }));
    } else if (ticket.awaitingConsent) {
      progress.push(el('p', { className: 'pending', textContent: text('agent.awaiting_consent', { name: person(ticket.awaitingConsent.by) }) }));
      progress.push(el('p', { textContent: describeOffer(ticket.awaitingConsent.offer, currency) }));
    }
    if (ticket.approval) {
      const a = ticket.approval;
      if (a.status === 'pending') progress.push(el('p', { className: 'pending', textContent: `${text('agent.approval_pending', { name: person(a.requestedBy) })} ${describeOffer(a.offer, currency)}` }));
      if (a.status === 'declined') progress.push(el('p', { className: 'error', textContent: text('agent.approval_declined', { name: person(a.decidedBy), reason: a.decisionReason }) }));
      if (a.status === 'approved' && !ticket.arrangement) progress.push(el('p', { textContent: text('agent.approval_approved', { name: person(a.decidedBy) }) }));
    }
    $('progress').replaceChildren(...progress);
    await showArrangements(state.selected);

    $('transcript').replaceChildren(
      ...transcript
        .filter((r) => r.kind === 'activity' && r.payload.type === 'message' && r.payload.text)
        .map((r) =>
          el(
            'li',
            { className: r.actor },
            el('span', { className: 'speaker', textContent: `${speakerOf(r, transcript)} · ` }),
            el('time', { dateTime: r.at, textContent: localTime(r.at) }),
            el('span', { className: 'said', textContent: r.payload.text }),
          ),
        ),
    );
    const list = $('transcript');
    list.scrollTop = list.scrollHeight;
    $('notes').replaceChildren(...ticket.notes.map((n) => el('li', { textContent: `${localTime(n.at)} · ${text('agent.labelled', { label: person(n.by), value: n.text })}` })));
  }

  // The account's arrangements and their ledgers: refreshed with the case view (the chain head moves when a payment is recorded).
  async function showArrangements(id) {
    const res = await api(`arrangements/${encodeURIComponent(id)}`);
    if (id !== state.selected) return;
    const items = (res.ok && res.data.arrangements) || [];
    $('arrangements-panel').hidden = items.length === 0;
    $('arrangements').replaceChildren(...items.map(arrangementTable));
  }

  function arrangementTable({ arrangement, ledger, currency }) {
    const status = ledger ? ledger.status : 'active';
    const head = ['agent.instalment_n', 'agent.instalment_due_date', 'agent.instalment_amount', 'agent.instalment_paid', 'agent.instalment_status'];
    const rows = ledger
      ? ledger.instalments.map((i) =>
          el(
            'tr',
            { className: `instalment-${i.status}` },
            el('th', { scope: 'row', textContent: String(i.n) }),
            el('td', {}, el('time', { dateTime: i.dueDate, textContent: localDate(i.dueDate) })),
            el('td', { className: 'num', textContent: money(i.amountMinor, currency) }),
            el('td', { className: 'num', textContent: money(i.paidMinor, currency) }),
            el('td', { textContent: label('agent.instalment_status_', i.status) }),
          ),
        )
      : [];
    return el(
      'div',
      { className: 'table-scroll' },
      el(
        'table',
        { className: `arrangement ledger-${status}` },
        el('caption', { textContent: text('agent.arrangement_caption', { reference: arrangement.reference, status: label('agent.arrangement_status_', status) }) }),
        el('thead', {}, el('tr', {}, ...head.map((key) => el('th', { scope: 'col', textContent: text(key) })))),
        el('tbody', {}, ...rows),
      ),
    );
  }

  // `next`: where the keyboard goes if the control just used is disabled by what it did (claim, close).
  async function act(path, body, done, next = 'status') {
    const res = await api(`cases/${encodeURIComponent(state.selected)}/${path}`, body || {});
    // Kept as a function of the language, so the message follows a change of language.
    state.status = () => (res.ok ? done(res.data) : errorText(res));
    $('status').textContent = state.status();
    $('status').className = res.ok ? '' : 'error';
    await showCase();
    const now = document.activeElement;
    if (!now || now === document.body || now.disabled) ($(next).disabled ? $('status') : $(next)).focus();
    return res;
  }

  function proposalFromForm() {
    const f = $('approve').elements;
    const minor = (v) => (v === '' ? undefined : toMinor(v));
    const bps = (v) => (v === '' ? undefined : Math.round(Number(v) * 100));
    const proposal = {
      months: f.months.value === '' ? undefined : Number(f.months.value),
      monthlyPaymentMinor: minor(f.monthly.value),
      feeWaiverBps: bps(f.fee.value),
      interestWaiverBps: bps(f.interest.value),
      settlementAmountMinor: minor(f.settlement.value),
      tokenPaymentMinor: minor(f.token.value),
      breathingSpaceDays: f.breathing.value === '' ? undefined : Number(f.breathing.value),
    };
    const body = { proposal: JSON.parse(JSON.stringify(proposal)) };
    if (f.override.value) body.override = { reasonCode: f.override.value };
    return body;
  }

  // ---- live updates, alerts ----
  function beep() {
    try {
      state.audio = state.audio || new AudioContext();
      const osc = state.audio.createOscillator();
      const gain = state.audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(state.audio.destination);
      osc.start();
      osc.stop(state.audio.currentTime + 0.25);
    } catch {
      /* no audio device: the visual and screen-reader alerts remain */
    }
  }

  function alertNewUrgent(cases) {
    const ids = new Set(cases.map((c) => c.conversationId));
    if (state.seen) {
      for (const c of cases) {
        if (state.seen.has(c.conversationId) || c.handoff.urgency === 'normal' || c.status !== 'waiting') continue;
        const message = text('agent.new_case_notification', { reason: label('agent.reason_', c.handoff.reason) });
        $('announce').textContent = message;
        document.body.dataset.alerts = String(Number(document.body.dataset.alerts || 0) + 1);
        beep();
        if ('Notification' in window && Notification.permission === 'granted') new Notification('Forbear', { body: message, tag: c.conversationId });
      }
    }
    state.seen = ids;
  }

  // The stream also watches the open case, so it refreshes after it leaves the queue (a payment arriving later).
  function listen() {
    if (state.events) state.events.close();
    state.events = new EventSource(state.selected ? `/agent/api/events?case=${encodeURIComponent(state.selected)}` : '/agent/api/events');
    state.events.addEventListener('queue', async (event) => {
      const data = JSON.parse(event.data);
      const changed = state.selected && (data.heads[state.selected] !== state.heads[state.selected] || JSON.stringify(data.cases.find((c) => c.conversationId === state.selected)) !== JSON.stringify(state.cases.find((c) => c.conversationId === state.selected)));
      state.clockOffset = Date.now() - Date.parse(data.now);
      alertNewUrgent(data.cases);
      state.cases = data.cases;
      state.heads = data.heads;
      renderQueue();
      if (changed) await showCase();
    });
  }

  async function showDesk() {
    $('login').hidden = true;
    $('desk').hidden = false;
    $('logout').hidden = false;
    $('alerts').hidden = !('Notification' in window) || Notification.permission !== 'default';
    $('who').textContent = `${state.me.displayName} · ${state.me.name} (${text(`agent.role_${state.me.role}`)})`;
    const config = await api('config');
    if (config.ok) state.config = config.data;
    translate();
    listen();
    // Time waited moves on by itself; the queue itself only changes when the server says so.
    setInterval(renderQueue, 30_000);
  }

  $('language').addEventListener('change', (e) => {
    state.lang = e.target.value;
    localStorage.setItem('forbear.agent.lang', state.lang);
    translate();
    if (state.me) {
      $('who').textContent = `${state.me.displayName} · ${state.me.name} (${text(`agent.role_${state.me.role}`)})`;
      $('status').textContent = state.status();
      renderPreview();
      renderQueue();
      showCase();
    }
  });
  $('alerts').addEventListener('click', async () => {
    beep();
    await Notification.requestPermission();
    $('alerts').hidden = Notification.permission !== 'default';
  });
  forbearSignIn.onSubmit(text, async (me) => {
    state.me = me;
    await showDesk();
  });
  $('claim').addEventListener('click', () => act('claim', {}, () => text('agent.claimed'), 'reply-text'));
  $('release').addEventListener('click', () => act('release', {}, () => text('agent.released')));
  $('transfer').addEventListener('click', () => {
    const to = $('transfer-to').value;
    return act('transfer', { to }, () => text('agent.transferred', { name: to }));
  });
  $('return').addEventListener('click', () => act('return', {}, () => text('agent.done')));
  $('close').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.target.elements;
    return act('close', { disposition: f.disposition.value, note: f.note.value }, () => text('agent.closed', { disposition: label('agent.disposition_', f.disposition.value) }));
  });
  $('reply').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = e.target.elements.text;
    const res = await act('messages', { text: input.value }, () => text('agent.sent'));
    if (res.ok) input.value = '';
  });
  $('note').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = e.target.elements.text;
    const res = await act('notes', { text: input.value }, () => text('agent.note_saved'));
    if (res.ok) input.value = '';
  });
  // The policy's answer to the last check, kept so it can be read again in another language.
  function renderPreview() {
    const res = state.preview;
    if (!res) return $('preview-result').replaceChildren();
    const currency = state.view.ticket.packet.account && state.view.ticket.packet.account.currency;
    if (!res.ok) return $('preview-result').replaceChildren(el('p', { className: 'error', textContent: errorText(res) }));
    $('preview-result').replaceChildren(
      ...res.data.previews.map(({ authority, decision }) =>
        el(
          'div',
          { className: `preview card outcome-${decision.outcome}` },
          el('strong', { textContent: text('agent.preview_at', { level: text(`agent.role_${authority}`), outcome: text(`agent.outcome_${decision.outcome}`) }) }),
          decision.offer ? el('p', { textContent: describeOffer(decision.offer, currency) }) : null,
          el('details', {}, el('summary', { textContent: text('agent.reasons') }), reasonList(decision.reasons, currency)),
        ),
      ),
    );
  }
  $('preview').addEventListener('click', async () => {
    state.preview = await api(`cases/${encodeURIComponent(state.selected)}/preview`, proposalFromForm());
    renderPreview();
  });
  $('approve').addEventListener('submit', (e) => {
    e.preventDefault();
    return act('approve', proposalFromForm(), () => text('agent.sent'));
  });
  $('request-approval').addEventListener('click', () => {
    const body = { ...proposalFromForm(), note: $('approve').elements.note.value };
    return act('approval-request', body, () => text('agent.sent'));
  });

  (async () => {
    state.texts = await (await fetch('/agent/assets/texts.json')).json();
    translate();
    const me = await forbearSignIn.current();
    if (me) {
      state.me = me;
      await showDesk();
    }
  })();
})();
