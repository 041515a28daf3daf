import { LIMITS, blockTextLength, dataCellChars } from './limits.js';

export type Surface = 'message' | 'home' | 'modal';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const textOf = (value: unknown): string => (isObject(value) && typeof value.text === 'string' ? value.text : '');

const KNOWN_BLOCKS = new Set([
  'section',
  'header',
  'context',
  'actions',
  'divider',
  'rich_text',
  'image',
  'table',
  'data_table',
  'input',
  'file',
  'markdown',
]);

/**
 * Checks a finished message or view against the Block Kit limits. Returns one line per problem, empty when
 * the payload is valid. The Slack stand-in runs every payload it receives through this.
 */
export function blockKitProblems(
  payload: { text?: unknown; blocks?: unknown },
  surface: Surface = 'message',
): string[] {
  const problems: string[] = [];
  const blocks = asArray(payload.blocks);
  const maxBlocks = surface === 'message' ? LIMITS.messageBlocks : LIMITS.surfaceBlocks;
  if (blocks.length > maxBlocks) problems.push(`${blocks.length} blocks, more than ${maxBlocks}`);
  if (typeof payload.text === 'string' && payload.text.length > LIMITS.messageText)
    problems.push(`text is ${payload.text.length} characters, more than ${LIMITS.messageText}`);
  if (!blocks.length && !(typeof payload.text === 'string' && payload.text.length))
    problems.push('neither text nor blocks');
  const total = blockTextLength(blocks);
  if (surface === 'message' && total > LIMITS.totalBlockText)
    problems.push(`blocks hold ${total} characters of text, more than ${LIMITS.totalBlockText}`);
  const tables = blocks.filter((b) => isObject(b) && b.type === 'table').length;
  if (tables && surface !== 'message') problems.push(`table blocks appear only in messages, not in a ${surface}`);
  if (tables > LIMITS.tablesPerMessage) problems.push(`${tables} table blocks, more than ${LIMITS.tablesPerMessage}`);
  const dataTables = blocks.filter((b) => isObject(b) && b.type === 'data_table');
  if (dataTables.length && surface !== 'message')
    problems.push(`data_table blocks appear only in messages, not in a ${surface}`);
  const dataCells = dataTables.reduce<number>((sum, b) => sum + cellChars((b as Json).rows), 0);
  if (dataTables.length > 1 && dataCells > LIMITS.dataTableText)
    problems.push(`data table cells hold ${dataCells} characters in all, more than ${LIMITS.dataTableText}`);
  const blockIds = new Set<string>();
  blocks.forEach((block, index) => {
    const where = `block ${index}`;
    if (!isObject(block)) {
      problems.push(`${where}: not an object`);
      return;
    }
    if (typeof block.block_id === 'string') {
      if (blockIds.has(block.block_id)) problems.push(`${where}: duplicate block_id ${block.block_id}`);
      if (block.block_id.length > LIMITS.blockId) problems.push(`${where}: block_id longer than ${LIMITS.blockId}`);
      blockIds.add(block.block_id);
    }
    problems.push(...blockProblems(block).map((problem) => `${where} (${String(block.type)}): ${problem}`));
  });
  return problems;
}

function blockProblems(block: Json): string[] {
  if (!KNOWN_BLOCKS.has(String(block.type))) return [`unknown block type`];
  switch (block.type) {
    case 'header':
      return headerProblems(block);
    case 'section':
      return sectionProblems(block);
    case 'context':
      return contextProblems(block);
    case 'actions':
      return actionsProblems(block);
    case 'table':
      return tableProblems(block);
    case 'data_table':
      return dataTableProblems(block);
    default:
      return [];
  }
}

function headerProblems(block: Json): string[] {
  const problems: string[] = [];
  if (!isObject(block.text) || block.text.type !== 'plain_text') problems.push('header text must be plain_text');
  if (textOf(block.text).length > LIMITS.headerText) problems.push(`header text longer than ${LIMITS.headerText}`);
  if (!textOf(block.text).length) problems.push('empty header');
  return problems;
}

function sectionProblems(block: Json): string[] {
  const problems: string[] = [];
  const fields = asArray(block.fields);
  if (!textOf(block.text) && !fields.length) problems.push('a section needs text or fields');
  if (textOf(block.text).length > LIMITS.sectionText) problems.push(`text longer than ${LIMITS.sectionText}`);
  if (fields.length > LIMITS.sectionFields) problems.push(`${fields.length} fields, more than ${LIMITS.sectionFields}`);
  fields.forEach((field, i) => {
    if (textOf(field).length > LIMITS.fieldText) problems.push(`field ${i} longer than ${LIMITS.fieldText}`);
    if (!textOf(field).length) problems.push(`field ${i} is empty`);
  });
  if (isObject(block.accessory) && block.accessory.type === 'button') problems.push(...buttonProblems(block.accessory));
  return problems;
}

function contextProblems(block: Json): string[] {
  const elements = asArray(block.elements);
  const problems =
    elements.length > LIMITS.contextElements
      ? [`${elements.length} elements, more than ${LIMITS.contextElements}`]
      : [];
  if (!elements.length) problems.push('a context needs elements');
  elements.forEach((element, i) => {
    if (textOf(element).length > LIMITS.contextText) problems.push(`element ${i} longer than ${LIMITS.contextText}`);
  });
  return problems;
}

function actionsProblems(block: Json): string[] {
  const elements = asArray(block.elements);
  const problems =
    elements.length > LIMITS.actionsElements
      ? [`${elements.length} elements, more than ${LIMITS.actionsElements}`]
      : [];
  if (!elements.length) problems.push('an actions block needs elements');
  const actionIds = new Set<string>();
  for (const element of elements) {
    if (!isObject(element)) continue;
    const id = String(element.action_id ?? '');
    if (actionIds.has(id)) problems.push(`duplicate action_id ${id}`);
    actionIds.add(id);
    if (element.type === 'button') problems.push(...buttonProblems(element));
  }
  return problems;
}

function buttonProblems(button: Json): string[] {
  const problems: string[] = [];
  if (!textOf(button.text).length || textOf(button.text).length > LIMITS.buttonText)
    problems.push(`button text must be 1–${LIMITS.buttonText} characters`);
  if (typeof button.value === 'string' && button.value.length > LIMITS.buttonValue)
    problems.push(`button value longer than ${LIMITS.buttonValue}`);
  if (typeof button.action_id !== 'string' || button.action_id.length > LIMITS.actionId)
    problems.push(`action_id missing or longer than ${LIMITS.actionId}`);
  if (isObject(button.confirm)) {
    const confirm = button.confirm;
    if (textOf(confirm.title).length > LIMITS.confirmTitle)
      problems.push(`confirm title longer than ${LIMITS.confirmTitle}`);
    if (textOf(confirm.text).length > LIMITS.confirmText)
      problems.push(`confirm text longer than ${LIMITS.confirmText}`);
    for (const key of ['confirm', 'deny']) {
      if (textOf(confirm[key]).length > LIMITS.confirmButton)
        problems.push(`confirm ${key} longer than ${LIMITS.confirmButton}`);
    }
  }
  return problems;
}

function tableProblems(block: Json): string[] {
  const rows = asArray(block.rows);
  const problems = rows.length > LIMITS.tableRows ? [`${rows.length} rows, more than ${LIMITS.tableRows}`] : [];
  if (!rows.length) problems.push('a table needs rows');
  if (rows.some((row) => asArray(row).length > LIMITS.tableCells))
    problems.push(`a row has more than ${LIMITS.tableCells} cells`);
  if (new Set(rows.map((row) => asArray(row).length)).size > 1) problems.push('rows have different numbers of cells');
  if (asArray(block.column_settings).length > LIMITS.tableColumnSettings)
    problems.push(`more than ${LIMITS.tableColumnSettings} column settings`);
  problems.push(...rows.flatMap(asArray).flatMap(cellProblems));
  return [...new Set(problems)];
}

function cellProblems(cell: unknown): string[] {
  if (!isObject(cell) || !['raw_text', 'raw_number', 'rich_text'].includes(String(cell.type)))
    return ['a cell must be raw_text, raw_number or rich_text'];
  if (cell.type === 'raw_text' && !textOf(cell).length) return ['an empty raw_text cell'];
  if (cell.type === 'raw_number' && (typeof cell.value !== 'number' || !Number.isFinite(cell.value)))
    return ['a raw_number cell needs a numeric value'];
  if (cell.type === 'raw_number' && !textOf(cell).length) return ['a raw_number cell needs its text'];
  return [];
}

const cellChars = (rows: unknown): number =>
  asArray(rows)
    .flatMap(asArray)
    .reduce<number>((sum, cell) => sum + dataCellChars(cell), 0);

const isIntegerIn = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

function dataTableProblems(block: Json): string[] {
  const rows = asArray(block.rows);
  const problems: string[] = [];
  if (rows.length < LIMITS.dataTableMinRows || rows.length > LIMITS.dataTableRows)
    problems.push(`${rows.length} rows, a data table needs a header row and 1–${LIMITS.dataTableRows - 1} rows`);
  const widths = new Set(rows.map((row) => asArray(row).length));
  if (widths.size > 1) problems.push('rows have different numbers of cells');
  const width = asArray(rows[0]).length;
  if (width < 1 || width > LIMITS.dataTableCells) problems.push(`rows need 1–${LIMITS.dataTableCells} cells`);
  if (asArray(rows[0]).some((cell) => isObject(cell) && cell.type === 'rich_text'))
    problems.push('a header cell cannot be rich_text');
  if (typeof block.caption !== 'string' || !block.caption.length) problems.push('a data table needs a caption');
  if (block.page_size !== undefined && !isIntegerIn(block.page_size, 1, LIMITS.dataTablePageSize))
    problems.push(`page_size must be 1–${LIMITS.dataTablePageSize}`);
  if (block.row_header_column_index !== undefined && !isIntegerIn(block.row_header_column_index, 0, width - 1))
    problems.push('row_header_column_index is not a column');
  const chars = cellChars(rows);
  if (chars > LIMITS.dataTableText) problems.push(`cells hold ${chars} characters, more than ${LIMITS.dataTableText}`);
  problems.push(...rows.flatMap(asArray).flatMap(cellProblems));
  return [...new Set(problems)];
}
