// The outcome dashboard: figures from /ops/api/report (formatted by the server, the same cells as
// `npm run report`), charts by Chart.js served from node_modules. Plain DOM; texts from the catalogs.
(() => {
  const { $ } = forbearConsole;
  const state = { texts: {}, lang: localStorage.getItem('forbear.ops.lang') || 'zh-CN', data: null, charts: {} };
  const text = forbearConsole.catalog(state);
  const COLORS = ['#0b2d55', '#c9a54b', '#2f6db3', '#b00020', '#0b6b2f', '#7a4fb3', '#d97706', '#5b6b7d'];

  function translate() {
    forbearConsole.translate(state.lang, text);
    forbearDates.translate(text);
  }

  function draw(id, config) {
    state.charts[id]?.destroy();
    state.charts[id] = new window.Chart($(id), { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } });
  }

  const pct = (x) => Math.round(x * 1000) / 10;
  const percentAxis = { y: { beginAtZero: true, ticks: { callback: (v) => `${v}%` } } };

  function render() {
    const data = state.data;
    if (!data) return;
    const by = new FormData($('filters')).get('by') || 'variant';
    const table = data.tables[by];
    $('table').tHead.replaceChildren(row('th', table.columns));
    $('table').tBodies[0].replaceChildren(...table.rows.map((r) => row('td', r)));
    $('unreadable').hidden = data.unreadable === 0;
    $('unreadable').textContent = text('ops.unreadable', { count: data.unreadable });
    $('comparisons').replaceChildren(
      ...data.comparisons.map((line, i) => {
        const li = document.createElement('li');
        li.textContent = line;
        if (data.report.comparisons[i]?.agreement?.significant) li.className = 'significant';
        return li;
      }),
    );

    const groups = Object.keys(data.report.by[by]);
    const figures = groups.map((g) => data.report.by[by][g]);
    draw('chart-rates', {
      type: 'bar',
      data: {
        labels: groups,
        datasets: [
          { label: text('ops.col.agreement_rate'), data: figures.map((f) => pct(f.agreementRate)), backgroundColor: COLORS[0] },
          { label: text('ops.col.handoff_rate'), data: figures.map((f) => pct(f.handoffRate)), backgroundColor: COLORS[1] },
        ],
      },
      options: { scales: percentAxis },
    });
    const share = (f, k) => (f.concessionBps ? f.concessionBps[k] / 100 : 0);
    draw('chart-concessions', {
      type: 'bar',
      data: {
        labels: groups,
        datasets: ['interest', 'fees', 'settlement'].map((k, i) => ({ label: text(`ops.concession.${k}`), data: figures.map((f) => share(f, k)), backgroundColor: COLORS[i + 2] })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { callback: (v) => `${v}%` } } } },
    });
    const reasons = [...new Set(figures.flatMap((f) => Object.keys(f.handoffRateByReason)))].sort();
    draw('chart-reasons', {
      type: 'bar',
      data: {
        labels: reasons.map((r) => text(`agent.reason_${r}`)),
        datasets: groups.map((g, i) => ({ label: g, data: reasons.map((r) => pct(data.report.by[by][g].handoffRateByReason[r] || 0)), backgroundColor: COLORS[i % COLORS.length] })),
      },
      options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { callback: (v) => `${v}%` } } } },
    });
    const weeks = Object.keys(data.report.by.week);
    draw('chart-weekly', {
      type: 'line',
      data: {
        labels: weeks,
        datasets: [
          { label: text('ops.col.agreement_rate'), data: weeks.map((w) => pct(data.report.by.week[w].agreementRate)), borderColor: COLORS[0], backgroundColor: COLORS[0] },
          { label: text('ops.col.handoff_rate'), data: weeks.map((w) => pct(data.report.by.week[w].handoffRate)), borderColor: COLORS[1], backgroundColor: COLORS[1] },
        ],
      },
      options: { scales: percentAxis },
    });
    document.body.dataset.rendered = String(Date.now());
  }

  function row(cell, values) {
    const tr = document.createElement('tr');
    for (const v of values) {
      const c = document.createElement(cell);
      c.textContent = v;
      tr.append(c);
    }
    return tr;
  }

  async function load() {
    const params = new URLSearchParams({ lang: state.lang });
    const form = new FormData($('filters'));
    for (const k of ['from', 'to']) if (form.get(k)) params.set(k, form.get(k));
    const res = await fetch(`/ops/api/report?${params}`);
    const body = await res.json().catch(() => ({}));
    $('report-error').textContent = res.ok ? '' : body.error?.message || String(res.status);
    if (!res.ok) return;
    state.data = body;
    render();
  }

  async function start() {
    state.texts = await (await fetch('/ops/assets/texts.json')).json();
    translate();
    const who = await forbearSignIn.current();
    if (who) return enter(who);
    $('login').hidden = false;
  }

  async function enter(who) {
    $('who').textContent = `${who.name} (${who.role})`;
    $('login').hidden = true;
    $('logout').hidden = false;
    $('dashboard').hidden = false;
    await load();
  }

  forbearSignIn.onSubmit(text, enter);
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  $('filters').elements.by.addEventListener('change', render);
  $('language').addEventListener('change', () => {
    state.lang = $('language').value;
    localStorage.setItem('forbear.ops.lang', state.lang);
    translate();
    if (state.data) load();
  });
  start();
})();
