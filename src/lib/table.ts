/**
 * The one table layout of the human output (status, txn list/get, up's summary, local status): a
 * header row, columns two spaces apart, no borders, fitted to the terminal. When the natural width
 * does not fit, the columns marked `shrink` (ids, names, endpoints) are cut, widest first, in the
 * middle ("a-very-long…order-0042": both the prefix and the distinguishing end stay readable);
 * `--json` always carries the full values.
 */
import Table from 'cli-table3';
import stringWidth from 'string-width';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** May be cut with "…" to fit the width (an id or name); other columns keep their full text. */
  shrink?: boolean;
}

const GAP = 2;
/** A cut column still shows this much of its values (with the "…"). */
const MIN_SHRUNK = 10;
const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: ' '.repeat(GAP),
};

/**
 * The width tables fit: the terminal's on a TTY; otherwise $COLUMNS when set, else 80 (a CI log or a
 * pager is read by a person at about that width; scripts read `--json`, which is never cut).
 */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const fromEnv = Number(process.env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80;
}

/** Column widths that fit `available`: the widest shrinkable column loses one column at a time. */
function fitWidths(columns: readonly Column[], natural: number[], available: number): number[] {
  const widths = [...natural];
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
  while (total() > available) {
    let widest = -1;
    for (const [i, column] of columns.entries()) {
      const w = widths[i] ?? 0;
      if (column.shrink && w > MIN_SHRUNK && (widest === -1 || w > (widths[widest] ?? 0))) widest = i;
    }
    if (widest === -1) break; // nothing left to cut: the line stays long rather than lose a value
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  return widths;
}

/** `text` in at most `width` columns: its start and end, joined by "…". */
function cutMiddle(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  const chars = [...text];
  const keep = width - 1;
  let head = '';
  let tail = '';
  // The head gets the odd column; each side takes whole characters (a wide one counts two).
  for (const c of chars) {
    if (stringWidth(head + c) > Math.ceil(keep / 2)) break;
    head += c;
  }
  for (const c of chars.reverse()) {
    if (stringWidth(c + tail) > keep - stringWidth(head)) break;
    tail = c + tail;
  }
  return `${head}…${tail}`;
}

/** The table as lines (each `indent` spaces in), fitted to `width` (default: outputWidth()). */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  options: { indent?: number; width?: number } = {},
): string {
  const indent = options.indent ?? 0;
  const natural = columns.map((c, i) =>
    Math.max(stringWidth(c.header), ...rows.map((r) => stringWidth(r[i] ?? ''))),
  );
  const widths = fitWidths(columns, natural, (options.width ?? outputWidth()) - indent);
  const table = new Table({
    head: columns.map((c) => c.header),
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    colWidths: widths,
    colAligns: columns.map((c) => c.align ?? 'left'),
    wordWrap: false,
  });
  table.push(...rows.map((r) => columns.map((_, i) => cutMiddle(r[i] ?? '', widths[i] ?? 0))));
  return table
    .toString()
    .split('\n')
    .map((line) => `${' '.repeat(indent)}${line}`.trimEnd())
    .join('\n');
}
