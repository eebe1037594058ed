// The node's dashboard: plain DOM, no framework, no build step. It reads only the node's own REST routes.
// Everything it shows is inserted as text (textContent / text nodes): notification titles and bodies, channel names
// and error messages are other people's content and must never be parsed as HTML.

const HEALTH_EVERY_MS = 5000;
const FEED_PAGE_SIZE = 10;

/** An error answered by the node: `{error: {info, code}}`, shown as "info (code)". */
class NodeError extends Error {
  constructor(info, code, status) {
    super(code ? `${info} (${code})` : info);
    this.code = code;
    this.status = status;
  }
}

/** GET a JSON route of the node; refusals become NodeError with the node's own message and code. */
async function api(path) {
  let res;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  } catch {
    throw new NodeError('the node did not answer', 'NETWORK', 0);
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: reported below from the status alone.
  }
  if (!res.ok) {
    const e = body && typeof body === 'object' ? body.error : null;
    if (e && typeof e.info === 'string') throw new NodeError(e.info, String(e.code ?? ''), res.status);
    throw new NodeError(`HTTP ${res.status}`, '', res.status);
  }
  return body;
}

/** A new element; string and number children become text nodes, null/undefined/false are skipped. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const $ = (id) => document.getElementById(id);

function showError(id, err) {
  const p = $(id);
  if (!err) {
    p.hidden = true;
    p.textContent = '';
    return;
  }
  p.textContent = err instanceof Error ? err.message : String(err);
  p.hidden = false;
}

/** Replaces a table body's rows; an empty list shows one row saying so. */
function fillTable(table, rows, emptyText) {
  const tbody = table.tBodies[0];
  const columns = table.tHead.rows[0].cells.length;
  if (rows.length === 0) rows = [el('tr', {}, el('td', { colspan: columns, className: 'empty' }, emptyText))];
  tbody.replaceChildren(...rows);
}

function formatUptime(seconds) {
  let s = Math.max(0, Math.floor(Number(seconds) || 0));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return [d && `${d}d`, (d || h) && `${h}h`, (d || h || m) && `${m}m`, `${s}s`].filter(Boolean).join(' ');
}

/** A `<time>` for an ISO string or unix seconds/milliseconds; the raw value when it is not a date. */
function timeCell(value) {
  let date = null;
  if (typeof value === 'number') date = new Date(value < 1e12 ? value * 1000 : value);
  else if (typeof value === 'string' && value !== '') {
    date = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  }
  if (!date || Number.isNaN(date.getTime())) return el('td', {}, value == null ? '' : String(value));
  return el('td', {}, el('time', { datetime: date.toISOString() }, date.toLocaleString()));
}

const yesNo = (v) => (v ? 'yes' : 'no');
const text = (v) => (v === undefined || v === null ? '' : String(v));

// ---- 1 + 2. Header and chains (GET /apis/v1/health), refreshed while the tab is visible ----

function renderHealth(h) {
  $('node-version').textContent = text(h.version);
  const status = $('node-status');
  status.textContent = text(h.status);
  status.dataset.status = text(h.status);
  $('node-uptime').textContent = formatUptime(h.uptimeSeconds);
  $('node-store').textContent = h.store ? `${text(h.store.backend)} (${text(h.store.location)})` : '';

  const chains = Array.isArray(h.chains) ? h.chains : [];
  fillTable(
    $('chains'),
    chains.map((c) =>
      el(
        'tr',
        { dataset: { chainId: text(c.chainId) } },
        el('td', {}, c.name ? text(c.name) : '—'),
        el('td', {}, text(c.chainId)),
        el(
          'td',
          {},
          text(c.phase),
          c.error ? el('span', { className: 'detail' }, ` — ${text(c.error.message)}`) : null,
        ),
        el('td', {}, `${c.synced ?? '—'} / ${c.head ?? '—'}`),
        el('td', { className: c.healthy ? 'ok' : 'bad' }, yesNo(c.healthy)),
      ),
    ),
    'No chain is indexed.',
  );
  const disabled = Array.isArray(h.disabledChains) ? h.disabledChains : [];
  fillTable(
    $('disabled-chains'),
    disabled.map((c) =>
      el('tr', {}, el('td', {}, text(c.name)), el('td', {}, text(c.chainId)), el('td', {}, text(c.reason))),
    ),
    'None.',
  );
}

let healthTimer = null;

async function refreshHealth() {
  clearTimeout(healthTimer);
  healthTimer = null;
  try {
    renderHealth(await api('/apis/v1/health'));
    showError('health-error', null);
  } catch (err) {
    const status = $('node-status');
    status.textContent = 'unreachable';
    status.dataset.status = 'unreachable';
    showError('health-error', err);
  }
  if (!document.hidden) healthTimer = setTimeout(refreshHealth, HEALTH_EVERY_MS);
}

document.addEventListener('visibilitychange', () => {
  if (document.hidden) {
    clearTimeout(healthTimer);
    healthTimer = null;
  } else if (healthTimer === null) {
    refreshHealth();
  }
});

// ---- 3. Channels (GET /apis/v1/channels) and what one sent (GET /apis/v2/channels/:caip/notifications) ----

/** Only http(s) URLs, data-URI images and the node's own paths are used as image sources. */
function safeImageUrl(url) {
  if (typeof url !== 'string') return null;
  return /^(https?:\/\/|\/(?!\/)|data:image\/)/i.test(url) ? url : null;
}

function channelRow(c) {
  const icon = safeImageUrl(c.icon);
  const name = text(c.name) || text(c.channel);
  return el(
    'tr',
    { dataset: { channel: text(c.channel) } },
    el(
      'td',
      {},
      icon
        ? el('img', {
            src: icon,
            alt: '',
            width: 24,
            height: 24,
            loading: 'lazy',
            // An icon host that does not answer leaves an empty cell, not a broken-image glyph.
            onerror: (event) => {
              event.target.hidden = true;
            },
          })
        : null,
    ),
    el(
      'td',
      {},
      el(
        'button',
        {
          type: 'button',
          className: 'link',
          'aria-controls': 'channel-notifications',
          onclick: () => showChannelNotifications(c.channel, name),
        },
        name,
      ),
    ),
    el('td', {}, el('code', {}, text(c.channel))),
    el('td', {}, yesNo(Number(c.verified_status) === 1)),
    el('td', { className: 'number' }, text(c.subscriber_count ?? 0)),
  );
}

async function loadChannels() {
  try {
    const body = await api('/apis/v1/channels?limit=100');
    const channels = Array.isArray(body?.channels) ? body.channels : [];
    fillTable($('channels'), channels.map(channelRow), 'No channel yet.');
    $('channels').caption.textContent =
      `Active channels (${channels.length} of ${text(body?.itemcount ?? channels.length)}), ` +
      'verified and most subscribed first (choose one to see what it sent)';
    showError('channels-error', null);
  } catch (err) {
    showError('channels-error', err);
  }
}

const TYPE_NAMES = {
  'NOTIFICATION.BROADCAST': 'broadcast',
  'NOTIFICATION.TARGET': 'targeted',
  'NOTIFICATION.SUBSET': 'subset',
};

let channelRequest = 0;

async function showChannelNotifications(channel, name) {
  const request = ++channelRequest;
  const section = $('channel-notifications');
  section.hidden = false;
  $('channel-notifications-title').textContent = `Latest notifications of ${name}`;
  const table = $('channel-notifications-table');
  try {
    const body = await api(
      `/apis/v2/channels/${encodeURIComponent(`eip155:${channel}`)}/notifications?limit=10`,
    );
    if (request !== channelRequest) return;
    const list = Array.isArray(body?.notifications) ? body.notifications : [];
    fillTable(
      table,
      list.map((n) => {
        const p = n.message?.payload ?? {};
        const note = n.message?.notification ?? {};
        return el(
          'tr',
          { dataset: { notifId: text(n.notifID) } },
          timeCell(n.timestamp),
          el('td', {}, TYPE_NAMES[n.meta?.type] ?? text(n.meta?.type)),
          el('td', {}, text(p.title || note.title)),
          el('td', {}, text(p.body || note.body)),
        );
      }),
      'This channel has sent nothing yet.',
    );
    showError('channel-notifications-error', null);
  } catch (err) {
    if (request !== channelRequest) return;
    fillTable(table, [], '');
    showError('channel-notifications-error', err);
  }
  section.scrollIntoView?.({ block: 'nearest' });
}

// ---- 4. Inbox lookup (GET /apis/v1/users/:caip/feeds, spam=true for the spam box) ----

const boxes = { inbox: { page: 1, total: 0 }, spam: { page: 1, total: 0 } };
let inboxUser = '';

function feedRow(item) {
  const data = item.payload?.data ?? {};
  const note = item.payload?.notification ?? {};
  return el(
    'tr',
    { dataset: { payloadId: text(item.payload_id) } },
    timeCell(item.epoch),
    el('td', {}, text(data.app), el('br'), el('code', { className: 'detail' }, text(item.sender))),
    el('td', {}, text(data.asub || note.title)),
    el('td', {}, text(data.amsg || note.body)),
  );
}

async function loadBox(box) {
  const state = boxes[box];
  const qs = new URLSearchParams({ page: String(state.page), limit: String(FEED_PAGE_SIZE) });
  // The node's boolean query values are true/false (as the SDK sends them); spam=1 is refused.
  if (box === 'spam') qs.set('spam', 'true');
  const body = await api(`/apis/v1/users/${encodeURIComponent(inboxUser)}/feeds?${qs}`);
  const feeds = Array.isArray(body?.feeds) ? body.feeds : [];
  state.total = Number(body?.itemcount ?? feeds.length) || 0;
  const pages = Math.max(1, Math.ceil(state.total / FEED_PAGE_SIZE));
  fillTable(
    $(`box-${box}`),
    feeds.map(feedRow),
    box === 'spam' ? 'The spam box is empty.' : 'The inbox is empty.',
  );
  $(`box-${box}-title`).textContent = `${box === 'spam' ? 'Spam' : 'Inbox'} (${state.total})`;
  $(`box-${box}-page`).textContent = `Page ${state.page} of ${pages}`;
  for (const b of document.querySelectorAll(`button[data-box="${box}"]`)) {
    const step = Number(b.dataset.step);
    b.disabled = step < 0 ? state.page <= 1 : state.page >= pages;
  }
}

async function lookUp(event) {
  event.preventDefault();
  const input = $('inbox-address');
  inboxUser = input.value.trim();
  if (!inboxUser) return;
  boxes.inbox.page = 1;
  boxes.spam.page = 1;
  try {
    await Promise.all([loadBox('inbox'), loadBox('spam')]);
    showError('inbox-error', null);
    $('boxes').hidden = false;
  } catch (err) {
    $('boxes').hidden = true;
    showError('inbox-error', err);
  }
}

async function turnPage(event) {
  const button = event.target.closest('button[data-box]');
  if (!button) return;
  const state = boxes[button.dataset.box];
  state.page = Math.max(1, state.page + Number(button.dataset.step));
  try {
    await loadBox(button.dataset.box);
    showError('inbox-error', null);
  } catch (err) {
    showError('inbox-error', err);
  }
}

// ---- start ----

$('inbox-form').addEventListener('submit', lookUp);
$('boxes').addEventListener('click', turnPage);
$('channels-refresh').addEventListener('click', loadChannels);
refreshHealth();
loadChannels();
