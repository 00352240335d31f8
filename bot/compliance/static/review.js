// The compliance review console: search, read a transcript with the decisions behind each bot
// message, verify its chain, record a QA verdict, export. Plain DOM; texts from the catalogs.
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { texts: {}, lang: localStorage.getItem('forbear.compliance.lang') || 'zh-CN', selected: null };
  const text = (key, vars = {}) => ((state.texts[state.lang] || {})[key] || key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
  const get = async (path) => {
    const res = await fetch(`/compliance/api/${path}`);
    return { ok: res.ok, status: res.status, data: await res.json().catch(() => ({})) };
  };
  const post = async (path, body) => {
    const res = await fetch(`/compliance/api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forbear-console': '1' }, body: JSON.stringify(body) });
    return { ok: res.ok, status: res.status, data: await res.json().catch(() => ({})) };
  };

  function translate() {
    document.documentElement.lang = state.lang;
    $('language').value = state.lang;
    for (const el of document.querySelectorAll('[data-text]')) el.textContent = text(el.dataset.text);
  }

  function query() {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData($('search'))) if (v) params.set(k, v);
    return params.toString();
  }

  async function search() {
    const q = query();
    $('export-jsonl').href = `/compliance/api/export?format=jsonl&${q}`;
    $('export-csv').href = `/compliance/api/export?format=csv&${q}`;
    const res = await get(`conversations?${q}`);
    if (!res.ok) return;
    $('results').replaceChildren(
      ...res.data.conversations.map((c) => {
        const li = document.createElement('li');
        li.dataset.id = c.conversationId;
        li.textContent = `${c.startedAt.slice(0, 16).replace('T', ' ')} · ${c.accountId || '—'} · ${c.outcome || 'abandoned'}${c.flags.length ? ` · ⚑ ${c.flags.join(', ')}` : ''}`;
        li.addEventListener('click', () => open(c.conversationId));
        return li;
      }),
    );
  }

  function describe(decision) {
    const p = decision.payload;
    if (p.type === 'offer_shown') return text('compliance.offer_note', { offer: p.offerId, policy: `${p.policyId}@${p.policyVersion}`, rules: p.ruleIds.join(', ') });
    if (p.type === 'policy_evaluation') return text('compliance.evaluation_note', { outcome: p.outcome, policy: `${p.policyId}@${p.policyVersion}`, rules: p.ruleIds.join(', ') });
    if (p.type === 'handoff') return text('compliance.handoff_note', { reason: p.reason, rules: p.ruleIds.join(', ') });
    return `${p.type}: ${JSON.stringify(p).slice(0, 200)}`;
  }

  async function open(id) {
    state.selected = id;
    const res = await get(`conversations/${encodeURIComponent(id)}`);
    if (!res.ok) return;
    const { records, annotations, verification, summary } = res.data;
    $('conversation').hidden = false;
    $('conversation-title').textContent = `${summary.accountId || '—'} · ${summary.language || ''} · ${summary.outcome || 'abandoned'}`;
    $('chain').textContent = verification.ok ? text('compliance.chain_ok', { records: verification.records }) : text('compliance.chain_bad', { seq: verification.firstBadSeq, problem: verification.problem });
    $('chain').className = verification.ok ? '' : 'error';
    $('print').href = `/compliance/api/conversations/${encodeURIComponent(id)}/export?format=html`;
    $('annotation').hidden = true;
    $('transcript').replaceChildren(
      ...records
        .filter((r) => r.kind === 'activity' && r.payload.text)
        .map((r) => {
          const li = document.createElement('li');
          li.className = r.actor;
          li.textContent = r.payload.text;
          const notes = annotations[r.seq];
          if (notes && notes.length) {
            li.classList.add('annotated');
            li.title = text('compliance.click_for_reasons');
            li.addEventListener('click', () => {
              $('annotation').hidden = false;
              $('annotation').replaceChildren(
                ...notes.map((d) => {
                  const p = document.createElement('p');
                  p.textContent = describe(d);
                  return p;
                }),
              );
            });
          }
          return li;
        }),
    );
  }

  async function showDesk(me) {
    $('login').hidden = true;
    $('desk').hidden = false;
    $('who').textContent = me.name;
    await search();
  }

  $('language').addEventListener('change', (e) => {
    state.lang = e.target.value;
    localStorage.setItem('forbear.compliance.lang', state.lang);
    translate();
  });
  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const res = await fetch('/agent/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: form.get('name'), password: form.get('password') }) });
    const me = await res.json().catch(() => ({}));
    if (!res.ok || me.role !== 'compliance') {
      $('login-error').textContent = text('compliance.login_failed');
      return;
    }
    await showDesk(me);
  });
  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    search();
  });
  $('review').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const res = await post(`conversations/${encodeURIComponent(state.selected)}/review`, { verdict: form.get('verdict'), comment: form.get('comment') });
    $('review-result').textContent = res.ok ? text('compliance.review_saved', { seq: res.data.seq }) : String(res.status);
  });

  (async () => {
    state.texts = await (await fetch('/compliance/assets/texts.json')).json();
    translate();
    const me = await fetch('/agent/api/me');
    if (me.ok) {
      const data = await me.json();
      if (data.role === 'compliance') await showDesk(data);
    }
  })();
})();
