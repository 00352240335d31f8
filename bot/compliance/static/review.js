// The compliance review console: search with filters and pages, read a transcript with the
// decisions behind each bot message in words, verify its chain, draw QA samples, record and read
// verdicts, export. Plain DOM; every label and option from the catalogs.
(() => {
  const { $, el } = forbearConsole;
  const state = { texts: {}, lang: localStorage.getItem('forbear.compliance.lang') || 'zh-CN', selected: null, page: 1, pages: 1, me: null, reviewResult: () => '' };
  const text = forbearConsole.catalog(state);
  const get = async (path) => {
    const res = await fetch(`/compliance/api/${path}`);
    return { ok: res.ok, status: res.status, data: await res.json().catch(() => ({})) };
  };
  const post = async (path, body) => {
    const res = await fetch(`/compliance/api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forbear-console': '1' }, body: JSON.stringify(body) });
    return { ok: res.ok, status: res.status, data: await res.json().catch(() => ({})) };
  };
  // Always a named zone (the conversation's policy timezone from the server), never the browser's own.
  const when = (iso, timeZone, timeStyle = 'medium') => new Intl.DateTimeFormat(state.lang, { dateStyle: 'medium', timeStyle, timeZone }).format(new Date(iso));
  const outcomeLabel = (outcome) => text(outcome ? `compliance.outcome_${outcome}` : 'compliance.in_progress');

  function translate() {
    forbearConsole.translate(state.lang, text);
    for (const select of document.querySelectorAll('select[data-options]')) {
      const chosen = select.value;
      const options = select.dataset.values.split(',').map((v) => el('option', { value: v, textContent: text(`${select.dataset.options}${v}`) }));
      select.replaceChildren(...(select.dataset.required ? [] : [el('option', { value: '', textContent: text('compliance.any') })]), ...options);
      // Nothing chosen yet: the first option (a required select is never left blank).
      if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
    }
    forbearDates.translate(text);
  }

  function query() {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData($('search'))) if (v) params.set(k, v);
    return params;
  }

  function conversationItem(c) {
    const button = el('button', {
      type: 'button',
      textContent: `${when(c.startedAt, c.timeZone, 'long')} · ${c.accountId || '—'} · ${outcomeLabel(c.outcome)}${c.handoffReason ? ` (${text(`agent.reason_${c.handoffReason}`)})` : ''}${c.flags.length ? ` · ⚑ ${c.flags.map((f) => text(`compliance.flag_${f}`)).join('、')}` : ''}`,
    });
    button.addEventListener('click', () => open(c.conversationId));
    const li = el('li', {}, button);
    li.dataset.id = c.conversationId;
    return li;
  }

  async function search(page = 1) {
    const q = query();
    $('export-jsonl').href = `/compliance/api/export?format=jsonl&${q}`;
    $('export-csv').href = `/compliance/api/export?format=csv&${q}`;
    q.set('page', String(page));
    const res = await get(`conversations?${q}`);
    if (!res.ok) {
      // The server's message is for logs and API users; the page speaks the reader's language.
      $('result-count').textContent = text('compliance.bad_search');
      return;
    }
    const { conversations, total, pageSize } = res.data;
    state.page = page;
    state.pages = Math.max(1, Math.ceil(total / pageSize));
    $('result-count').textContent = total === 0 ? text('compliance.no_results') : text('compliance.results', { total, page, pages: state.pages });
    $('prev').disabled = page <= 1;
    $('next').disabled = page >= state.pages;
    $('results').replaceChildren(...conversations.map(conversationItem));
  }

  function showDecisions(notes) {
    $('annotation').hidden = false;
    $('annotation').replaceChildren(
      el('h3', { textContent: text('compliance.decisions') }),
      ...notes.map((d) =>
        el(
          'section',
          {},
          el('strong', { textContent: `#${d.seq} ${d.title}` }),
          el('dl', {}, ...d.fields.flatMap((f) => [el('dt', { textContent: f.label }), el('dd', { textContent: f.value, className: 'pre' })])),
        ),
      ),
    );
  }

  async function open(id) {
    if (state.selected !== id) state.reviewResult = () => '';
    state.selected = id;
    $('review-result').textContent = state.reviewResult();
    const res = await get(`conversations/${encodeURIComponent(id)}?lang=${state.lang}`);
    if (!res.ok) return;
    const { records, annotations, verification, summary, timeZone } = res.data;
    state.zone = timeZone;
    $('conversation').hidden = false;
    $('conversation-title').textContent = `${summary.accountId || '—'} · ${summary.language ? text(`agent.lang_${summary.language}`) : ''} · ${outcomeLabel(summary.outcome)}`;
    $('chain').textContent = verification.ok ? text('compliance.chain_ok', { records: verification.records }) : text('compliance.chain_bad', { seq: verification.firstBadSeq, problem: verification.problem });
    $('chain').className = verification.ok ? '' : 'error';
    $('print').href = `/compliance/api/conversations/${encodeURIComponent(id)}/export?format=html&lang=${state.lang}`;
    $('zone').textContent = text('compliance.times_in', { zone: timeZone });
    $('annotation').hidden = true;
    $('transcript').replaceChildren(
      ...records
        .filter((r) => r.kind === 'activity' && r.payload.text)
        .map((r) => {
          const notes = annotations[r.seq];
          const speaker = el('span', { className: 'speaker', textContent: `${text(`transcript.actor.${r.actor}`)} · ${when(r.at, timeZone)}` });
          const said = el('span', { className: 'said', textContent: r.payload.text });
          if (!notes || !notes.length) return el('li', { className: r.actor }, speaker, said);
          const button = el('button', { type: 'button', className: 'annotated-button', title: text('compliance.click_for_reasons') }, speaker, said);
          button.addEventListener('click', () => showDecisions(notes));
          return el('li', { className: `${r.actor} annotated` }, button);
        }),
    );
    await showReviews();
    $('conversation-title').focus();
  }

  async function showReviews() {
    const res = await get('reviews');
    if (!res.ok) return;
    const { reviews, verification } = res.data;
    $('reviews-chain').textContent = verification.ok ? text('compliance.reviews_chain_ok', { records: reviews.length }) : text('compliance.reviews_chain_bad', { seq: verification.firstBadSeq });
    $('reviews').replaceChildren(
      ...reviews
        .filter((r) => r.conversationId === state.selected)
        .map((r) => el('li', { textContent: `${when(r.at, state.zone)} · ${r.reviewer} · ${text(`compliance.verdict_${r.verdict}`)}${r.comment ? ` — ${r.comment}` : ''}` })),
    );
  }

  async function showDesk(me) {
    state.me = me;
    $('login').hidden = true;
    $('desk').hidden = false;
    $('logout').hidden = false;
    $('who').textContent = me.name;
    await search();
  }

  $('language').addEventListener('change', (e) => {
    state.lang = e.target.value;
    localStorage.setItem('forbear.compliance.lang', state.lang);
    translate();
    $('review-result').textContent = state.reviewResult();
    if (state.me) search(state.page);
    if (state.selected) open(state.selected);
  });
  forbearSignIn.onSubmit(text, showDesk);
  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    search(1);
  });
  $('prev').addEventListener('click', () => search(state.page - 1));
  $('next').addEventListener('click', () => search(state.page + 1));
  $('sample').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const filter = Object.fromEntries([...query()].filter(([k]) => k !== 'page'));
    const res = await post('sample', { n: Number(f.n.value), seed: f.seed.value, filter });
    $('sampled').replaceChildren(...(res.ok ? res.data.conversations.map(conversationItem) : [el('li', { className: 'error', textContent: text('compliance.bad_search') })]));
  });
  $('review').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const res = await post(`conversations/${encodeURIComponent(state.selected)}/review`, { verdict: form.get('verdict'), comment: form.get('comment') });
    // Kept as a function of the language, so the message follows a change of language.
    state.reviewResult = () => (res.ok ? text('compliance.review_saved', { seq: res.data.seq }) : text('compliance.review_failed', { status: res.status }));
    $('review-result').textContent = state.reviewResult();
    await showReviews();
  });

  (async () => {
    state.texts = await (await fetch('/compliance/assets/texts.json')).json();
    translate();
    const me = await forbearSignIn.current();
    if (me) await showDesk(me);
  })();
})();
