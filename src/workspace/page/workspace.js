import { mrkdwn, renderBlocks } from './blockkit.js';

const SUGGESTIONS = [
  '/pg help',
  '/pg health',
  '/pg locks',
  '/pg connections',
  '/pg bloat',
  '/pg vacuum',
  '/pg indexes',
  '/pg slow-queries',
  '/pg digest',
  '/pg trend dead-tuples',
  '/pg audit',
];
const POLL_MS = 500;

const $ = (id) => document.getElementById(id);
const state = { info: undefined, user: undefined, lastSeen: '', showing: 'channel' };

async function api(path, body) {
  const response = await fetch(
    `/workspace/${path}`,
    body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {},
  );
  const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  if (!response.ok || answer.ok === false) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer;
}

const userName = (id) => state.info?.users.find((u) => u.id === id)?.name ?? id;

function showError(error) {
  const note = document.createElement('div');
  note.className = 'error';
  note.textContent = String(error.message ?? error);
  $('messages').append(note);
}

/** Buttons with a confirm object ask first, the way Slack does. */
function confirmFirst(confirm) {
  if (!confirm) return Promise.resolve(true);
  $('confirm-title').textContent = confirm.title?.text ?? 'Are you sure?';
  $('confirm-text').textContent = confirm.text?.text ?? '';
  $('confirm-ok').textContent = confirm.confirm?.text ?? 'Yes';
  $('confirm-ok').className = confirm.style === 'danger' ? 'danger' : 'primary';
  $('confirm-deny').textContent = confirm.deny?.text ?? 'Cancel';
  const dialog = $('confirm');
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

async function clickButton(message, element) {
  if (!(await confirmFirst(element.confirm))) return;
  await api('click', {
    user: state.user,
    messageId: String(message.id),
    actionId: element.action_id,
    value: element.value ?? '',
  }).catch(showError);
}

/** A file the bot uploaded (files.uploadV2): the full table of a report too long for one message, or a chart image. */
function fileAttachment(file) {
  if (file.image) {
    const figure = Object.assign(document.createElement('figure'), { className: 'file-image' });
    figure.append(
      Object.assign(document.createElement('img'), { src: file.image, alt: file.name, loading: 'lazy' }),
      Object.assign(document.createElement('figcaption'), { textContent: `📎 ${file.name}` }),
    );
    return figure;
  }
  const details = document.createElement('details');
  details.append(
    Object.assign(document.createElement('summary'), { textContent: `📎 ${file.name}` }),
    Object.assign(document.createElement('pre'), { textContent: file.content }),
  );
  return details;
}

function renderMessage(message) {
  const person = message.from !== 'bot';
  const avatar = Object.assign(document.createElement('div'), {
    className: `avatar${person ? ' person' : ''}`,
    textContent: person ? userName(message.from)[0].toUpperCase() : 'pg',
  });
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.append(Object.assign(document.createElement('b'), { textContent: person ? userName(message.from) : 'pgmedic' }));
  if (!person) meta.append(Object.assign(document.createElement('span'), { className: 'badge', textContent: 'APP' }));
  if (message.edited) meta.append(' (edited)');
  const ctx = { userName, onButton: (element) => clickButton(message, element), viewKey: message.id };
  const content = message.file
    ? [fileAttachment(message.file)]
    : message.blocks.length
      ? renderBlocks(message.blocks, ctx)
      : mrkdwn(message.text, ctx);
  const body = document.createElement('div');
  body.className = 'body';
  body.append(meta, ...content);
  if (message.ephemeral)
    body.append(
      Object.assign(document.createElement('div'), { className: 'only-you', textContent: 'Only visible to you' }),
    );
  const node = document.createElement('div');
  node.className = `message${message.threadTs ? ' thread' : ''}`;
  node.dataset.testid = 'message';
  node.dataset.messageId = message.id;
  node.append(avatar, body);
  return node;
}

async function refresh() {
  const { messages } = await api(`messages?user=${encodeURIComponent(state.user)}`);
  const seen = JSON.stringify(messages);
  if (seen === state.lastSeen) return;
  state.lastSeen = seen;
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.replaceChildren(...messages.map(renderMessage));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** The app's Home tab: opening it sends app_home_opened; the bot publishes the view (views.publish). */
async function refreshHome() {
  const { view } = await api(`home?user=${encodeURIComponent(state.user)}`);
  const home = $('home');
  const ctx = { userName, onButton: () => undefined };
  home.replaceChildren(
    ...(view
      ? renderBlocks(view.blocks ?? [], ctx)
      : [Object.assign(document.createElement('p'), { textContent: 'Opening…' })]),
  );
}

function show(what) {
  state.showing = what;
  $('home').hidden = what !== 'home';
  $('messages').hidden = $('composer').hidden = what === 'home';
  $('open-home').classList.toggle('active', what === 'home');
  $('open-channel').classList.toggle('active', what === 'channel');
  $('channel-title').textContent = what === 'home' ? 'pgmedic · Home' : `# ${state.info.channel.name}`;
  if (what === 'home') void api('home', { user: state.user }).then(refreshHome).catch(showError);
}

async function poll() {
  await (state.showing === 'home' ? refreshHome() : refresh()).catch(() => undefined);
  setTimeout(poll, POLL_MS);
}

async function send(text) {
  if (!text.trim()) return;
  if (!text.trim().startsWith('/pg'))
    return showError(new Error('Only the /pg command works here, for example /pg locks'));
  await api('command', { user: state.user, text }).catch(showError);
  await refresh().catch(() => undefined);
}

function setUpSidebar() {
  const select = $('user');
  for (const user of state.info.users) select.append(new Option(`${user.name} (${user.role})`, user.id));
  select.value = state.user;
  const hint = () =>
    ($('user-hint').textContent =
      `Messages only for ${userName(state.user)} show here while you are ${userName(state.user)}.`);
  hint();
  select.addEventListener('change', () => {
    state.user = select.value;
    state.lastSeen = '';
    hint();
    show(state.showing);
    void refresh();
  });
  for (const text of SUGGESTIONS) {
    const item = document.createElement('li');
    item.append(
      Object.assign(document.createElement('button'), { type: 'button', textContent: text, onclick: () => send(text) }),
    );
    $('suggestions').append(item);
  }
  if (!state.info.demo) return;
  $('demo').hidden = false;
  $('start-chain').addEventListener('click', async () => {
    const chain = await api('demo/blocking-chain', {}).catch(showError);
    if (chain)
      $('chain-status').textContent =
        `Blocking chain running: session ${chain.rootPid} blocks ${chain.waitingPids.join(' and ')}. Try /pg locks.`;
  });
}

async function start() {
  state.info = await api('info');
  state.user = new URLSearchParams(location.search).get('user') ?? state.info.users[0].id;
  $('channel-name').textContent = state.info.channel.name;
  $('channel-title').textContent = `# ${state.info.channel.name}`;
  $('open-home').addEventListener('click', () => show('home'));
  $('open-channel').addEventListener('click', () => show('channel'));
  setUpSidebar();
  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('command');
    const text = input.value;
    input.value = '';
    void send(text);
  });
  void poll();
}

void start();
