// The taskwire dashboard page: plain DOM, no framework, no build step. It polls the JSON API
// (the same admin.overview() that `taskwire inspect --json` prints) and redraws in place.
// Every value from Redis goes in through textContent, never innerHTML: call inputs are data.

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const TOKEN_KEY = 'taskwire-dashboard-token';

const state = {
  config: null,
  selected: null,
  tab: 'dead',
  letter: null,
  letters: [],
  filter: {},
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  timer: 0,
};

// ---- small helpers -------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, String(v));
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function age(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3600000) return `${Math.floor(ms / 60000)}m${String(Math.floor((ms % 60000) / 1000)).padStart(2, '0')}s`;
  if (ms < 86400000) return `${Math.floor(ms / 3600000)}h${String(Math.floor((ms % 3600000) / 60000)).padStart(2, '0')}m`;
  return `${Math.floor(ms / 86400000)}d${String(Math.floor((ms % 86400000) / 3600000)).padStart(2, '0')}h`;
}

const time = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const json = (v) => (v === null || v === undefined ? '' : JSON.stringify(v));

function toast(message, kind = 'info') {
  const t = $('toast');
  t.textContent = message;
  t.dataset.kind = kind;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), kind === 'error' ? 8000 : 4000);
}

async function api(path, init = {}) {
  const res = await fetch(new URL(`api/${path}`, document.baseURI), init);
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

function act(path, body = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  return api(path, { method: 'POST', headers, body: JSON.stringify(body) });
}

const q = (name) => encodeURIComponent(name);

// ---- queues, chart, workers ----------------------------------------------------------------

function sparkline(values) {
  const w = 120, h = 22, max = Math.max(1, ...values);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('width', w);
  svg.setAttribute('height', h);
  const p = document.createElementNS(SVG, 'polyline');
  p.setAttribute('class', 'spark');
  p.setAttribute('points', values.map((v, i) => `${(i / (values.length - 1)) * w},${h - 1 - (v / max) * (h - 2)}`).join(' '));
  svg.append(p);
  return svg;
}

function chart(queue) {
  const box = $('chart');
  box.replaceChildren();
  if (!queue) return;
  const w = 800, h = 160, left = 36, bottom = 18;
  const { succeeded, failed } = queue.throughput;
  const max = Math.max(1, ...succeeded, ...failed);
  const x = (i) => left + (i / (succeeded.length - 1)) * (w - left - 6);
  const y = (v) => h - bottom - (v / max) * (h - bottom - 8);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.append(n);
  };
  add('line', { class: 'axis', x1: left, y1: h - bottom, x2: w, y2: h - bottom });
  add('line', { class: 'axis', x1: left, y1: 8, x2: left, y2: h - bottom });
  add('text', { x: 2, y: 14 }, String(max));
  add('text', { x: 2, y: h - bottom }, '0');
  add('text', { x: left, y: h - 2 }, '-60s');
  add('text', { x: w - 30, y: h - 2 }, 'now');
  add('polyline', { class: 'ok', points: succeeded.map((v, i) => `${x(i)},${y(v)}`).join(' ') });
  add('polyline', { class: 'bad', points: failed.map((v, i) => `${x(i)},${y(v)}`).join(' ') });
  box.append(svg);
}

function renderQueues(o) {
  const body = $('queues').tBodies[0];
  body.replaceChildren(
    ...o.queues.map((qu) =>
      el(
        'tr',
        { 'data-queue': qu.name, 'aria-selected': String(qu.name === state.selected) },
        el('td', { 'data-field': 'name' }, qu.name),
        el('td', { class: 'num', 'data-field': 'waiting' }, qu.waiting),
        el('td', { class: 'num', 'data-field': 'running' }, qu.running),
        el('td', { class: 'num', 'data-field': 'delayed' }, qu.delayed),
        el('td', { class: qu.dead > 0 ? 'num hot' : 'num', 'data-field': 'dead' }, qu.dead),
        el('td', { class: 'num', 'data-field': 'workers' }, qu.workers),
        el('td', { class: 'num', 'data-field': 'callsPerSecond' }, qu.callsPerSecond),
        el('td', { class: 'num', 'data-field': 'oldestWaiting' }, qu.oldestWaitingMs === null ? '-' : age(qu.oldestWaitingMs)),
        el('td', {}, sparkline(qu.throughput.succeeded.map((s, i) => s + qu.throughput.failed[i]))),
      ),
    ),
  );
  $('no-queues').hidden = o.queues.length > 0;
  const shown = o.queues.find((qu) => qu.name === state.selected) ?? o.queues[0];
  $('chart-queue').textContent = shown ? `· ${shown.name}` : '';
  chart(shown);
}

function renderWorkers(o) {
  $('workers').tBodies[0].replaceChildren(
    ...o.workers.map((w) =>
      el(
        'tr',
        { 'data-worker': w.id },
        el('td', { title: w.id }, w.id.slice(0, 8)),
        el('td', {}, w.host ?? '?'),
        el('td', { class: 'num' }, w.pid ?? '?'),
        el('td', {}, w.version ?? '?'),
        el('td', { class: 'num' }, w.running === null ? '?' : `${w.running}/${w.concurrency}`),
        el('td', {}, w.queues.join(', ')),
        el('td', { class: 'num' }, `${age(w.heartbeatAgeMs)} ago`),
        el('td', { class: 'num' }, w.callsPerSecond),
        el('td', { class: 'num' }, w.startedAt === null ? '?' : age(o.at - w.startedAt)),
        el('td', { class: 'clip', title: w.tasks.map((t) => `${t.path} ${t.fingerprint}`).join('\n') }, w.tasks.map((t) => t.path).join(', ')),
      ),
    ),
  );
  $('no-workers').hidden = o.workers.length > 0;
}

// ---- one queue: dead letters and calls -------------------------------------------------------

function filterQuery() {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state.filter)) if (v) p.append(k, v);
  return p;
}

async function loadDead() {
  const queue = state.selected;
  const res = await api(`queues/${q(queue)}/dead?${filterQuery()}`);
  if (queue !== state.selected) return;
  state.letters = res.letters;
  const filtered = Object.values(state.filter).some(Boolean);
  $('dlq-summary').textContent = `${res.letters.length} ${filtered ? 'matching ' : ''}shown of ${res.total} on the queue`;
  $('dead').tBodies[0].replaceChildren(
    ...res.letters.map((d) =>
      el(
        'tr',
        { 'data-letter': d.id, 'aria-selected': String(d.id === state.letter) },
        el('td', {}, d.id),
        el('td', {}, time(d.at)),
        el('td', {}, d.task ?? '?'),
        el('td', {}, d.reason),
        el('td', { class: 'num' }, d.attempt ?? '?'),
        el('td', { class: 'clip' }, clip(d.error ? `${d.error.code}: ${d.error.message}` : (d.detail ?? ''), 60)),
        el('td', { class: 'clip' }, clip(d.inputProblem ? `(${d.inputProblem})` : json(d.input), 60)),
      ),
    ),
  );
}

async function showLetter(id) {
  state.letter = id;
  for (const tr of $('dead').tBodies[0].rows) tr.setAttribute('aria-selected', String(tr.dataset.letter === id));
  const d = await api(`queues/${q(state.selected)}/dead/${q(id)}`);
  $('letter').hidden = false;
  $('letter-id').textContent = d.id;
  const fields = [
    ['task', d.task ?? '?'],
    ['call', d.callId ?? '?'],
    ['reason', d.detail ? `${d.reason} (${d.detail})` : d.reason],
    ['attempt', d.attempt ?? '?'],
    ['sent', time(d.sentAt)],
    ['set aside', time(d.at)],
    ['headers', d.headers ? json(d.headers) : '-'],
  ];
  $('letter-fields').replaceChildren(...fields.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('letter-input').textContent = d.inputProblem ? `(${d.inputProblem})` : JSON.stringify(d.input, null, 2);
  $('letter-error').textContent = d.error ? `${d.error.code}${d.error.defined ? ' (declared)' : ''}: ${d.error.message}${d.error.data === null ? '' : `\n${JSON.stringify(d.error.data, null, 2)}`}` : 'none';
}

async function loadCalls() {
  const queue = state.selected;
  const res = await api(`queues/${q(queue)}/calls?state=${state.tab}`);
  if (queue !== state.selected) return;
  $('until-head').textContent = state.tab === 'running' ? 'lease until' : state.tab === 'delayed' ? 'runs at' : '';
  $('calls').tBodies[0].replaceChildren(
    ...res.calls.map((c) =>
      el(
        'tr',
        { 'data-call': c.callId ?? '' },
        el('td', {}, c.callId ?? '(unreadable)'),
        el('td', {}, c.task ?? '?'),
        el('td', { class: 'num' }, c.attempt ?? '?'),
        el('td', {}, time(c.sentAt)),
        el('td', {}, c.until ? time(c.until) : ''),
        el('td', { class: 'clip' }, clip(json(c.input), 80)),
      ),
    ),
  );
  $('calls-summary').textContent = `${res.calls.length} ${state.tab} call${res.calls.length === 1 ? '' : 's'} shown (at most 50)`;
}

function loadDetail() {
  if (!state.selected) return Promise.resolve();
  return state.tab === 'dead' ? loadDead() : loadCalls();
}

function select(queue) {
  if (state.selected !== queue) {
    state.selected = queue;
    state.letter = null;
    $('letter').hidden = true;
  }
  $('detail').hidden = false;
  $('detail-queue').textContent = queue;
  for (const tr of $('queues').tBodies[0].rows) tr.setAttribute('aria-selected', String(tr.dataset.queue === queue));
  loadDetail().catch((err) => toast(err.message, 'error'));
}

// ---- actions -------------------------------------------------------------------------------

function actionsAllowed() {
  return state.config?.actions === true;
}

async function run(label, f) {
  try {
    const res = await f();
    toast(label(res), 'ok');
  } catch (err) {
    toast(err.message, 'error');
  }
  await refresh();
}

function wireActions() {
  const one = (verb, past) => async () => {
    const id = state.letter;
    if (verb === 'purge' && !confirm(`Purge dead letter ${id} for good?`)) return;
    await run(() => `${past} ${id}`, async () => {
      const res = await act(`queues/${q(state.selected)}/dead/${q(id)}/${verb}`);
      $('letter').hidden = true;
      state.letter = null;
      return res;
    });
  };
  $('replay-one').addEventListener('click', one('replay', 'replayed'));
  $('purge-one').addEventListener('click', one('purge', 'purged'));
  const bulk = (verb) => () => {
    const filtered = Object.values(state.filter).some(Boolean);
    const what = filtered ? 'every dead letter matching the filter' : 'every dead letter of the queue';
    if (!confirm(`${verb === 'replay' ? 'Replay' : 'Purge'} ${what} on ${state.selected}?`)) return;
    const body = { ...state.filter, all: !filtered, where: state.filter.where ? [state.filter.where] : [] };
    run((res) => `${verb === 'replay' ? 'replayed' : 'purged'} ${res.replayed ?? res.purged}`, () => act(`queues/${q(state.selected)}/dead/${verb}`, body));
  };
  $('replay-all').addEventListener('click', bulk('replay'));
  $('purge-all').addEventListener('click', bulk('purge'));
}

function renderMode() {
  const allowed = actionsAllowed();
  $('mode').textContent = !allowed ? 'read-only' : state.token ? 'actions: token set' : 'actions need the token';
  $('token-form').hidden = !allowed;
  for (const b of document.querySelectorAll('button.action')) {
    b.disabled = !allowed;
    b.title = allowed ? '' : 'read-only: start the dashboard with --allow-actions';
  }
}

// ---- the loop --------------------------------------------------------------------------------

async function refresh() {
  clearTimeout(state.timer);
  const live = $('live');
  try {
    const o = await api('overview');
    renderQueues(o);
    renderWorkers(o);
    if (state.selected) await loadDetail();
    live.dataset.state = 'ok';
    live.textContent = `live · ${time(o.at)}`;
  } catch (err) {
    live.dataset.state = 'error';
    live.textContent = `cannot read: ${err.message}`;
  }
  state.timer = setTimeout(refresh, state.config?.refreshMs ?? 2000);
}

async function start() {
  // A token handed over in the URL's fragment (never sent to the server) moves to this tab's storage.
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    state.token = decodeURIComponent(m[1]);
    sessionStorage.setItem(TOKEN_KEY, state.token);
    history.replaceState(null, '', location.pathname + location.search);
  }
  state.config = await api('config');
  $('where').textContent = `prefix ${state.config.prefix} · v${state.config.version}`;
  $('token').value = state.token;
  renderMode();
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = $('token').value.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    renderMode();
  });
  $('queues').tBodies[0].addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-queue]');
    if (tr) select(tr.dataset.queue);
  });
  $('dead').tBodies[0].addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-letter]');
    if (tr) showLetter(tr.dataset.letter).catch((err) => toast(err.message, 'error'));
  });
  $('tabs').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-tab]');
    if (!b) return;
    state.tab = b.dataset.tab;
    for (const t of $('tabs').querySelectorAll('button')) t.setAttribute('aria-pressed', String(t === b));
    $('tab-dead').hidden = state.tab !== 'dead';
    $('tab-calls').hidden = state.tab === 'dead';
    loadDetail().catch((err) => toast(err.message, 'error'));
  });
  $('dlq-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    state.filter = Object.fromEntries(new FormData(e.target).entries());
    loadDead().catch((err) => toast(err.message, 'error'));
  });
  wireActions();
  await refresh();
}

start().catch((err) => {
  $('live').dataset.state = 'error';
  $('live').textContent = `cannot start: ${err.message}`;
});
