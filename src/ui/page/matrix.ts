/**
 * Accounts x regions, one cell per target, coloured by outcome, rows grouped by OU with account
 * names. Drawn on a canvas that only paints the rows in view, so 10,000 targets cost the same as
 * 100; updates mark the matrix dirty and repaint once per animation frame however many rows
 * changed. The column header and the OU of the rows in view stay pinned while scrolling.
 */
import { outcomeColours, unknownOutcomeColour } from '../wire';
import { h } from './dom';
import { type FilterState, layoutRows, type MatrixRow } from './matrix-rows';

export interface MatrixCell {
  account: string;
  region: string;
  outcome: string;
  /** Per-target execution name ('' when the target never started, e.g. skipped). */
  name: string;
  reason: string;
  /** The stacks form: the stack this cell is (absent for a target's own, worst-stack cell). */
  stack?: string;
}

export interface AccountLabel {
  name: string;
  ou: string;
}

export interface MatrixView {
  element: HTMLElement;
  /** Adds or replaces cells (a poll's delta). */
  update(cells: MatrixCell[]): void;
  /** Replaces every cell (another stack of a graph is shown). */
  replace(cells: MatrixCell[]): void;
  /** Names and OU paths of accounts (from the server's directory). */
  label(account: string, info: AccountLabel): void;
  /** Shows only cells whose outcome is in `outcomes` (all when empty) and that match `query`. */
  filter(next: FilterState): void;
  cell(account: string, region: string): MatrixCell | undefined;
  /** Every cell the matrix holds. */
  cells(): MatrixCell[];
  /** The rows drawn after grouping and filtering (OU headers and accounts), top to bottom. */
  rows(): MatrixRow[];
  /** The region columns drawn after filtering. */
  columns(): string[];
  /** Viewport coordinates of a cell's centre, scrolling it into view first (used by tests and keyboard users). */
  locate(account: string, region: string): { x: number; y: number } | undefined;
  /** Row height in CSS pixels (for tests that check a row is wholly in view). */
  rowHeight(): number;
  /** The colour a cell is painted with. */
  colourOf(outcome: string): string;
}

const LABEL_WIDTH = 220;
const HEADER_HEIGHT = 58;
/** Cells that do not pass the outcome filter are painted in this colour. */
export const FILTERED_OUT_COLOUR = '#f1f3f4';
const EMPTY_COLOUR = '#f8f9fa';

/** Creates the matrix; `onOpen` is called when a cell is clicked. */
export function createMatrix(onOpen: (cell: MatrixCell) => void): MatrixView {
  const cells = new Map<string, MatrixCell>();
  const labels = new Map<string, AccountLabel>();
  let filterState: FilterState = { outcomes: new Set(), query: '' };
  let rows: MatrixRow[] = [];
  let regions: string[] = [];
  let accountRow = new Map<string, number>();
  let regionCol = new Map<string, number>();
  let dirty = true;
  let frame = 0;

  const canvas = h('canvas', { 'aria-label': 'Targets by account and region' });
  const spacer = h('div', { class: 'matrix-spacer' });
  const scroll = h('div', { class: 'matrix-scroll', tabindex: 0 }, canvas, spacer);
  const tip = h('div', { class: 'matrix-tip', hidden: '' });
  const empty = h('p', { class: 'muted matrix-empty', hidden: '' }, 'No target matches the filter.');
  const element = h('div', { class: 'matrix' }, scroll, empty, tip);
  const ctx = canvas.getContext('2d')!;

  const accountCount = () => rows.filter((r) => r.kind === 'account').length;
  const geometry = () => {
    const rowH = cells.size > 4000 ? 14 : 18;
    const avail = Math.max(200, scroll.clientWidth - LABEL_WIDTH - 8);
    const colW = Math.max(12, Math.min(64, Math.floor(avail / Math.max(1, regions.length))));
    return { rowH, colW, gap: rowH > 14 ? 2 : 1 };
  };

  const colourOf = (outcome: string) => outcomeColours[outcome] ?? unknownOutcomeColour;

  const rebuild = () => {
    const laid = layoutRows(cells, labels, filterState);
    rows = laid.rows;
    regions = laid.regions;
    accountRow = new Map();
    rows.forEach((r, i) => {
      if (r.kind === 'account') accountRow.set(r.account, i);
    });
    regionCol = new Map(regions.map((r, i) => [r, i]));
    dirty = false;
    // Said at once (not on the next frame), so the note and the rows never disagree.
    empty.hidden = accountCount() > 0 || cells.size === 0;
  };

  /** Sizes the box to its content (at most 70% of the window) and the canvas to what it shows. */
  const size = () => {
    const { rowH } = geometry();
    const fullH = HEADER_HEIGHT + rows.length * rowH + 4;
    const boxH = Math.min(fullH, Math.max(240, Math.round(window.innerHeight * 0.7)));
    scroll.style.height = `${boxH}px`;
    // The canvas is exactly the box's inner height, and the spacer makes the scroll range reach
    // the last row: the border and any scrollbar are taken out, so no row is cut off.
    const viewH = Math.max(HEADER_HEIGHT + rowH, scroll.clientHeight);
    spacer.style.height = `${Math.max(0, fullH - viewH)}px`;
    return { viewH, fullH };
  };

  const draw = () => {
    frame = 0;
    if (dirty) rebuild();
    const { rowH, colW, gap } = geometry();
    const { viewH } = size();
    const width = Math.max(LABEL_WIDTH + 40, scroll.clientWidth);
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(viewH * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(viewH * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${viewH}px`;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, viewH);
    const top = scroll.scrollTop;
    const first = Math.max(0, Math.floor(top / rowH));
    const last = Math.min(rows.length, first + Math.ceil((viewH - HEADER_HEIGHT) / rowH) + 1);
    const small = rowH < 18;
    ctx.textBaseline = 'middle';
    for (let i = first; i < last; i++) {
      const row = rows[i]!;
      const y = HEADER_HEIGHT + i * rowH - top;
      if (row.kind === 'ou') {
        drawOuRow(row, y);
        continue;
      }
      ctx.font = `${small ? 10 : 11}px system-ui, sans-serif`;
      ctx.fillStyle = '#3c4043';
      ctx.fillText(clipText(row.label, LABEL_WIDTH - 8), 12, y + rowH / 2);
      for (let col = 0; col < regions.length; col++) {
        const cell = cells.get(`${row.account}|${regions[col]}`);
        ctx.fillStyle = !cell
          ? EMPTY_COLOUR
          : filterState.outcomes.size > 0 && !filterState.outcomes.has(cell.outcome)
            ? FILTERED_OUT_COLOUR
            : colourOf(cell.outcome);
        ctx.fillRect(LABEL_WIDTH + col * colW, y + gap, colW - gap, rowH - gap);
      }
    }
    // The OU of the first row in view stays pinned under the column header.
    const current = ouAbove(first);
    if (current && rows[first]?.kind !== 'ou') drawOuRow(current, HEADER_HEIGHT);
    // Column headers over the scrolled rows.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, HEADER_HEIGHT);
    ctx.fillStyle = '#3c4043';
    ctx.font = '11px system-ui, sans-serif';
    const slant = regions.some((r) => ctx.measureText(r).width > colW - 4);
    for (let col = 0; col < regions.length; col++) {
      ctx.save();
      ctx.translate(LABEL_WIDTH + col * colW + (slant ? 4 : colW / 2), HEADER_HEIGHT - 4);
      if (slant) ctx.rotate(-Math.PI / 5);
      ctx.textAlign = slant ? 'left' : 'center';
      ctx.fillText(regions[col]!, 0, 0);
      ctx.restore();
    }
    ctx.fillStyle = '#5f6368';
    ctx.fillText(`${accountCount()} accounts`, 4, HEADER_HEIGHT - 8);

    function drawOuRow(row: Extract<MatrixRow, { kind: 'ou' }>, y: number) {
      ctx.fillStyle = '#eef1f5';
      ctx.fillRect(0, y, width, rowH);
      ctx.fillStyle = '#202124';
      ctx.font = `600 ${small ? 10 : 11}px system-ui, sans-serif`;
      ctx.fillText(clipText(`${row.ou}  (${row.accounts} accounts)`, width - 8), 4, y + rowH / 2);
    }
  };

  const ouAbove = (index: number) => {
    for (let i = Math.min(index, rows.length - 1); i >= 0; i--) {
      const row = rows[i]!;
      if (row.kind === 'ou') return row;
    }
    return undefined;
  };

  const clipText = (text: string, max: number) => {
    if (ctx.measureText(text).width <= max) return text;
    let cut = text;
    while (cut.length > 1 && ctx.measureText(`${cut}…`).width > max) cut = cut.slice(0, -1);
    return `${cut}…`;
  };

  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };

  const cellAt = (clientX: number, clientY: number): MatrixCell | undefined => {
    const rect = canvas.getBoundingClientRect();
    const x = clientX - rect.left;
    const y = clientY - rect.top;
    if (x < LABEL_WIDTH || y < HEADER_HEIGHT) return undefined;
    const { rowH, colW } = geometry();
    const row = rows[Math.floor((y - HEADER_HEIGHT + scroll.scrollTop) / rowH)];
    const region = regions[Math.floor((x - LABEL_WIDTH) / colW)];
    if (row?.kind !== 'account' || region === undefined) return undefined;
    // The pinned OU band covers the first row's top: a click there is on the band.
    return cells.get(`${row.account}|${region}`);
  };

  canvas.addEventListener('mousemove', (event) => {
    const cell = cellAt(event.clientX, event.clientY);
    if (!cell) {
      tip.hidden = true;
      canvas.style.cursor = 'default';
      return;
    }
    canvas.style.cursor = 'pointer';
    tip.hidden = false;
    const name = labels.get(cell.account)?.name;
    tip.textContent = `${cell.account} · ${cell.region}${name ? ` (${name})` : ''}\n${cell.outcome}${cell.reason ? `: ${cell.reason}` : ''}`;
    tip.style.left = `${Math.min(event.clientX + 14, window.innerWidth - 430)}px`;
    tip.style.top = `${event.clientY + 14}px`;
  });
  canvas.addEventListener('mouseleave', () => {
    tip.hidden = true;
  });
  canvas.addEventListener('click', (event) => {
    const cell = cellAt(event.clientX, event.clientY);
    if (cell) onOpen(cell);
  });
  scroll.addEventListener('scroll', schedule);
  window.addEventListener('resize', schedule);
  // The box changes width when the target panel opens or closes beside it.
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(schedule).observe(scroll);

  return {
    element,
    update(next) {
      for (const cell of next) cells.set(`${cell.account}|${cell.region}`, cell);
      if (next.length > 0) dirty = true;
      schedule();
    },
    replace(next) {
      cells.clear();
      for (const cell of next) cells.set(`${cell.account}|${cell.region}`, cell);
      dirty = true;
      schedule();
    },
    label(account, info) {
      labels.set(account, info);
      dirty = true;
      schedule();
    },
    filter(next) {
      filterState = { outcomes: new Set(next.outcomes), query: next.query };
      dirty = true;
      scroll.scrollTop = 0;
      schedule();
    },
    cell: (account, region) => cells.get(`${account}|${region}`),
    cells: () => [...cells.values()],
    rows: () => {
      if (dirty) rebuild();
      return rows;
    },
    columns: () => {
      if (dirty) rebuild();
      return regions;
    },
    locate(account, region) {
      if (dirty) rebuild();
      const row = accountRow.get(account);
      const col = regionCol.get(region);
      if (row === undefined || col === undefined) return undefined;
      size();
      const { rowH, colW } = geometry();
      const viewH = scroll.clientHeight;
      const wanted = row * rowH;
      // In view below the header and the pinned OU band, or scrolled to the middle.
      if (wanted < scroll.scrollTop + rowH || wanted > scroll.scrollTop + viewH - HEADER_HEIGHT - rowH) {
        scroll.scrollTop = Math.max(0, wanted - (viewH - HEADER_HEIGHT) / 2);
      }
      draw();
      const rect = canvas.getBoundingClientRect();
      return {
        x: rect.left + LABEL_WIDTH + col * colW + colW / 2,
        y: rect.top + HEADER_HEIGHT + row * rowH - scroll.scrollTop + rowH / 2,
      };
    },
    rowHeight: () => geometry().rowH,
    colourOf,
  };
}
