// Renders Slack Block Kit and mrkdwn into DOM nodes. Text always goes in as text nodes, never as HTML:
// whatever a database or a person typed cannot become markup here either.

const EMOJI = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  warning: '⚠️',
  red_circle: '🔴',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  large_orange_circle: '🟠',
  large_blue_circle: '🔵',
  white_circle: '⚪',
  black_circle: '⚫',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  lock: '🔒',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  stopwatch: '⏱️',
  mag: '🔍',
  wrench: '🔧',
  broom: '🧹',
  zap: '⚡',
  fire: '🔥',
  rotating_light: '🚨',
  bell: '🔔',
  information_source: 'ℹ️',
  clipboard: '📋',
  bar_chart: '📊',
  chart_with_upwards_trend: '📈',
  chart_with_downwards_trend: '📉',
  calendar: '📅',
  skull: '💀',
  stethoscope: '🩺',
  hospital: '🏥',
  pill: '💊',
  heavy_minus_sign: '➖',
  arrow_right: '➡️',
  hammer_and_wrench: '🛠️',
  thumbsup: '👍',
  '+1': '👍',
  thumbsdown: '👎',
  eyes: '👀',
  ok: '🆗',
  sparkles: '✨',
  snail: '🐌',
  elephant: '🐘',
  wastebasket: '🗑️',
  recycle: '♻️',
  gear: '⚙️',
  bulb: '💡',
  question: '❓',
  grey_question: '❔',
  octagonal_sign: '🛑',
  exclamation: '❗',
  heavy_exclamation_mark: '❗',
  hourglass_done: '⌛',
  raising_hand: '🙋',
  arrows_counterclockwise: '🔄',
  ballot_box_with_check: '☑️',
  bangbang: '‼️',
  ghost: '👻',
  alarm_clock: '⏰',
  clock1: '🕐',
  busts_in_silhouette: '👥',
  bust_in_silhouette: '👤',
  scroll: '📜',
  memo: '📝',
};

const el = (tag, className, children = []) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) node.append(child);
  return node;
};

/** &amp; &lt; &gt; are how Slack text carries those characters. */
const decode = (text) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const emojify = (text) => text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole);

/** `<@U…>`, `<#C…|name>`, `<!here>`, `<!date^…^…|fallback>`, `<url|label>`. */
function special(inner, ctx) {
  const [target, label] = splitOnce(inner, '|');
  if (target.startsWith('@')) return el('span', 'mention', [`@${ctx.userName(target.slice(1))}`]);
  if (target.startsWith('#')) return el('span', 'mention', [`#${label ?? target.slice(1)}`]);
  if (target.startsWith('!date^')) {
    const seconds = Number(target.split('^')[1]);
    const node = el('time', null, [
      Number.isFinite(seconds) ? new Date(seconds * 1000).toLocaleString() : decode(label ?? ''),
    ]);
    if (Number.isFinite(seconds)) node.dateTime = new Date(seconds * 1000).toISOString();
    return node;
  }
  if (target.startsWith('!')) return el('span', 'mention', [`@${label ?? target.slice(1).split('^')[0]}`]);
  const link = el('a', null, [decode(label ?? target)]);
  if (/^https?:\/\//.test(target)) link.href = decode(target);
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  return link;
}

function splitOnce(text, separator) {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

// Like Slack, *bold*, _italic_ and ~strike~ only count at word boundaries: pg_catalog.pg_class stays as typed.
const styled = (mark) => `(?<![\\w${mark}])\\${mark}(?=\\S)[^${mark}\\n]+?(?<=\\S)\\${mark}(?![\\w${mark}])`;
const INLINE = new RegExp(
  `(\`[^\`\\n]+\`)|(<[^<>\\n]+>)|(${styled('*')})|(${styled('_')})|(${styled('~')})|(\\n)`,
  'g',
);

function inline(text, ctx) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) out.push(emojify(decode(text.slice(last, match.index))));
    const [token] = match;
    const inner = token.slice(1, -1);
    if (match[1]) out.push(el('code', null, [decode(inner)]));
    else if (match[2]) out.push(special(inner, ctx));
    else if (match[3]) out.push(el('b', null, inline(inner, ctx)));
    else if (match[4]) out.push(el('i', null, inline(inner, ctx)));
    else if (match[5]) out.push(el('s', null, inline(inner, ctx)));
    else out.push(el('br'));
    last = match.index + token.length;
  }
  if (last < text.length) out.push(emojify(decode(text.slice(last))));
  return out;
}

/** mrkdwn → nodes: ``` fences become <pre>, the rest inline formatting. */
export function mrkdwn(text, ctx) {
  const out = [];
  const parts = String(text ?? '').split(/```/);
  parts.forEach((part, index) => {
    if (index % 2 === 1) out.push(el('pre', null, [decode(part.replace(/^\n/, ''))]));
    else out.push(...inline(part, ctx));
  });
  return out;
}

const textObject = (object, ctx) =>
  object?.type === 'mrkdwn'
    ? mrkdwn(object.text, ctx)
    : [object?.emoji === false ? (object?.text ?? '') : emojify(object?.text ?? '')];

function richElement(element, ctx) {
  if (element.type === 'text') {
    let node = document.createTextNode(element.text);
    const style = element.style ?? {};
    if (style.code) node = el('code', null, [node]);
    if (style.bold) node = el('b', null, [node]);
    if (style.italic) node = el('i', null, [node]);
    if (style.strike) node = el('s', null, [node]);
    return node;
  }
  if (element.type === 'user') return el('span', 'mention', [`@${ctx.userName(element.user_id)}`]);
  if (element.type === 'emoji') return EMOJI[element.name] ?? `:${element.name}:`;
  if (element.type === 'link') return special(`${element.url}|${element.text ?? element.url}`, ctx);
  return el('span', 'bk-unknown', [`[${element.type}]`]);
}

function richText(block, ctx) {
  return el(
    'div',
    'bk-rich',
    block.elements.map((part) => {
      const children = (part.elements ?? []).map((e) => richElement(e, ctx));
      if (part.type === 'rich_text_preformatted') return el('pre', null, children);
      if (part.type === 'rich_text_quote') return el('blockquote', null, children);
      if (part.type === 'rich_text_list')
        return el(
          part.style === 'ordered' ? 'ol' : 'ul',
          null,
          (part.elements ?? []).map((item) =>
            el(
              'li',
              null,
              (item.elements ?? []).map((e) => richElement(e, ctx)),
            ),
          ),
        );
      return el('div', null, children);
    }),
  );
}

function button(element, ctx) {
  const node = el('button', element.style ?? '', textObject(element.text, ctx));
  node.type = 'button';
  node.dataset.actionId = element.action_id;
  node.addEventListener('click', () => ctx.onButton(element));
  return node;
}

function section(block, ctx) {
  const node = el('div', 'bk-section', block.text ? textObject(block.text, ctx) : []);
  if (block.fields?.length)
    node.append(
      el(
        'div',
        'bk-fields',
        block.fields.map((f) => el('div', null, textObject(f, ctx))),
      ),
    );
  if (block.accessory?.type === 'button') node.append(' ', button(block.accessory, ctx));
  return node;
}

/** Like Slack: the first row is the header; each column aligned by column_settings; raw_text cells literally. */
function table(block, ctx) {
  const settings = block.column_settings ?? [];
  const cell = (tag, value, i) => {
    const node = el(tag, null, value?.type === 'rich_text' ? [richText(value, ctx)] : [String(value?.text ?? '')]);
    node.style.textAlign = settings[i]?.align ?? 'left';
    if (settings[i]?.is_wrapped) node.className = 'wrapped';
    return node;
  };
  const [header = [], ...rows] = block.rows ?? [];
  return el('div', 'bk-table-wrap', [
    el('table', 'bk-table', [
      el('thead', null, [
        el(
          'tr',
          null,
          header.map((c, i) => cell('th', c, i)),
        ),
      ]),
      el(
        'tbody',
        null,
        rows.map((row) =>
          el(
            'tr',
            null,
            row.map((c, i) => cell('td', c, i)),
          ),
        ),
      ),
    ]),
  ]);
}

/** A cell's text as Slack would sort it: raw text and numbers by their text, rich text by its words. */
const cellText = (cell) =>
  cell?.type === 'rich_text'
    ? (cell.elements ?? []).flatMap((part) => (part.elements ?? []).map((e) => e.text ?? e.name ?? '')).join('')
    : String(cell?.text ?? '');

/**
 * Like Slack's data table: the caption above, the first row as the header, figures (raw_number) right-aligned,
 * page_size rows at a time (5 unless given) with paging controls when there is more than one page, and a click
 * on a header sorting by that column (ascending, then descending): by value when every cell in it is a
 * raw_number, alphabetically otherwise.
 */
/**
 * Each data table's page and sort, by message and table: the channel is drawn again whenever any message arrives or
 * changes, and a reader must not be sent back to page one by someone else's message.
 */
const dataTableViews = new Map();

function dataTable(block, ctx) {
  const [header = [], ...rows] = block.rows ?? [];
  const pageSize = block.page_size ?? 5;
  const rowHeader = block.row_header_column_index ?? 0;
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => row[i]?.type === 'raw_number'));
  const viewKey = `${ctx.viewKey ?? ''}\u0000${block.block_id ?? block.caption ?? ''}`;
  const state = dataTableViews.get(viewKey) ?? { page: 0, column: -1, descending: false };
  dataTableViews.set(viewKey, state);
  const cell = (value, i) => {
    const node = el(
      i === rowHeader ? 'th' : 'td',
      value?.type === 'raw_number' ? 'number' : null,
      value?.type === 'rich_text' ? [richText(value, ctx)] : [String(value?.text ?? '')],
    );
    if (i === rowHeader) node.scope = 'row';
    return node;
  };
  const heads = header.map((value, i) => {
    const sorter = el('button', 'bk-sort', [String(value?.text ?? '')]);
    sorter.type = 'button';
    sorter.addEventListener('click', () => {
      state.descending = state.column === i ? !state.descending : false;
      state.column = i;
      state.page = 0;
      draw();
    });
    const node = el('th', numeric[i] ? 'number' : null, [sorter]);
    node.scope = 'col';
    return node;
  });
  const body = el('tbody');
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const position = el('span', 'bk-page-position');
  const pageButton = (label, testId, step) => {
    const node = el('button', null, [label]);
    node.type = 'button';
    node.dataset.testid = testId;
    node.addEventListener('click', () => {
      state.page = Math.min(pages - 1, Math.max(0, state.page + step));
      draw();
    });
    return node;
  };
  const previous = pageButton('‹ Previous', 'page-previous', -1);
  const next = pageButton('Next ›', 'page-next', 1);
  const sorted = () => {
    if (state.column < 0) return rows;
    const i = state.column;
    const compare = numeric[i]
      ? (a, b) => a[i].value - b[i].value
      : (a, b) => cellText(a[i]).localeCompare(cellText(b[i]), undefined, { numeric: true });
    const ordered = [...rows].sort(compare);
    return state.descending ? ordered.reverse() : ordered;
  };
  function draw() {
    const start = state.page * pageSize;
    const shown = sorted().slice(start, start + pageSize);
    body.replaceChildren(...shown.map((row) => el('tr', null, row.map(cell))));
    heads.forEach((head, i) => {
      if (i === state.column) head.setAttribute('aria-sort', state.descending ? 'descending' : 'ascending');
      else head.removeAttribute('aria-sort');
    });
    position.textContent = `${start + 1}–${start + shown.length} of ${rows.length}`;
    previous.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
  }
  draw();
  const table = el('table', 'bk-table bk-data-table', [
    el('caption', null, [String(block.caption ?? '')]),
    el('thead', null, [el('tr', null, heads)]),
    body,
  ]);
  return el('div', 'bk-table-wrap', [table, ...(pages > 1 ? [el('div', 'bk-pager', [previous, position, next])] : [])]);
}

const RENDERERS = {
  table,
  data_table: dataTable,
  header: (block, ctx) => el('div', 'bk-header', textObject(block.text, ctx)),
  section,
  divider: () => el('hr', 'bk-divider'),
  context: (block, ctx) =>
    el(
      'div',
      'bk-context',
      block.elements.map((e) => el('span', null, e.type === 'image' ? [e.alt_text ?? ''] : textObject(e, ctx))),
    ),
  actions: (block, ctx) =>
    el(
      'div',
      'bk-actions',
      block.elements.map((e) => (e.type === 'button' ? button(e, ctx) : el('span', 'bk-unknown', [`[${e.type}]`]))),
    ),
  rich_text: richText,
  image: (block) => Object.assign(el('img'), { src: block.image_url, alt: block.alt_text ?? '' }),
};

/** One Block Kit message. `ctx`: { userName(id), onButton(buttonElement) }. */
export function renderBlocks(blocks, ctx) {
  return blocks.map((block) => {
    const render = RENDERERS[block.type];
    const node = render ? render(block, ctx) : el('div', 'bk-unknown', [`[${block.type} block]`]);
    node.dataset.blockType = block.type;
    return node;
  });
}
