/**
 * Accounts x regions, one cell per target, coloured by outcome. Drawn on a canvas that only
 * paints the rows in view, so 10,000 targets cost the same as 100; updates mark the matrix
 * dirty and repaint once per animation frame however many rows changed.
 */
import { outcomeColours, unknownOutcomeColour } from '../wire';
import { h } from './dom';

export interface MatrixCell {
  account: string;
  region: string;
  outcome: string;
  /** Deploy-target execution name ('' when the target never started, e.g. skipped). */
  name: string;
  reason: string;
}

export interface MatrixView {
  element: HTMLElement;
  /** Adds or replaces cells (a poll's delta). */
  update(cells: MatrixCell[]): void;
  cell(account: string, region: string): MatrixCell | undefined;
  /** Every cell the matrix holds. */
  cells(): MatrixCell[];
  /** Viewport coordinates of a cell's centre, scrolling it into view first (used by tests and keyboard users). */
  locate(account: string, region: string): { x: number; y: number } | undefined;
  /** The colour a cell is painted with. */
  colourOf(outcome: string): string;
}

const LABEL_WIDTH = 104;
const HEADER_HEIGHT = 58;

/** Creates the matrix; `onOpen` is called when a cell is clicked. */
export function createMatrix(onOpen: (cell: MatrixCell) => void): MatrixView {
  const cells = new Map<string, MatrixCell>();
  let accounts: string[] = [];
  let regions: string[] = [];
  let accountRow = new Map<string, number>();
  let regionCol = new Map<string, number>();
  let axesDirty = true;
  let frame = 0;

  const canvas = h('canvas', { 'aria-label': 'Targets by account and region' });
  const spacer = h('div', { class: 'matrix-spacer' });
  const scroll = h('div', { class: 'matrix-scroll', tabindex: 0 }, canvas, spacer);
  const tip = h('div', { class: 'matrix-tip', hidden: '' });
  const element = h('div', { class: 'matrix' }, scroll, tip);
  const ctx = canvas.getContext('2d')!;

  const geometry = () => {
    const rowH = accounts.length > 600 ? 12 : 18;
    const avail = Math.max(200, scroll.clientWidth - LABEL_WIDTH - 8);
    const colW = Math.max(12, Math.min(64, Math.floor(avail / Math.max(1, regions.length))));
    return { rowH, colW, gap: rowH > 12 ? 2 : 1 };
  };

  const colourOf = (outcome: string) => outcomeColours[outcome] ?? unknownOutcomeColour;

  const rebuildAxes = () => {
    accounts = [...new Set([...cells.values()].map((c) => c.account))].sort();
    regions = [...new Set([...cells.values()].map((c) => c.region))].sort();
    accountRow = new Map(accounts.map((a, i) => [a, i]));
    regionCol = new Map(regions.map((r, i) => [r, i]));
    axesDirty = false;
  };

  const draw = () => {
    frame = 0;
    if (axesDirty) rebuildAxes();
    const { rowH, colW, gap } = geometry();
    const width = Math.min(scroll.clientWidth || 600, LABEL_WIDTH + regions.length * colW + 8);
    const fullH = HEADER_HEIGHT + accounts.length * rowH + 4;
    const viewH = Math.min(fullH, Math.max(240, Math.round(window.innerHeight * 0.62)));
    scroll.style.height = `${viewH}px`;
    spacer.style.height = `${Math.max(0, HEADER_HEIGHT + accounts.length * rowH + 4 - viewH)}px`;
    spacer.style.width = '1px';
    const ratio = window.devicePixelRatio || 1;
    const height = viewH;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    const top = scroll.scrollTop;
    const first = Math.max(0, Math.floor(top / rowH));
    const last = Math.min(accounts.length, first + Math.ceil((height - HEADER_HEIGHT) / rowH) + 1);
    ctx.font = `${rowH > 12 ? 11 : 9}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    for (let row = first; row < last; row++) {
      const account = accounts[row]!;
      const y = HEADER_HEIGHT + (row - first) * rowH - (top % rowH);
      if (y + rowH < HEADER_HEIGHT) continue;
      ctx.fillStyle = '#5f6368';
      ctx.fillText(account, 4, y + rowH / 2);
      for (let col = 0; col < regions.length; col++) {
        const cell = cells.get(`${account}|${regions[col]}`);
        ctx.fillStyle = cell ? colourOf(cell.outcome) : '#f8f9fa';
        ctx.fillRect(LABEL_WIDTH + col * colW, y + gap, colW - gap, rowH - gap);
      }
    }
    // Column headers over the scrolled rows.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, HEADER_HEIGHT);
    ctx.fillStyle = '#3c4043';
    ctx.font = '11px system-ui, sans-serif';
    // Slant the region names when the widest does not fit its column.
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
    ctx.fillText(`${accounts.length} accounts`, 4, HEADER_HEIGHT - 8);
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
    const row = Math.floor((y - HEADER_HEIGHT + scroll.scrollTop) / rowH);
    const col = Math.floor((x - LABEL_WIDTH) / colW);
    const account = accounts[row];
    const region = regions[col];
    if (account === undefined || region === undefined) return undefined;
    return cells.get(`${account}|${region}`);
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
    tip.textContent = `${cell.account} · ${cell.region}\n${cell.outcome}${cell.reason ? `: ${cell.reason}` : ''}`;
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

  return {
    element,
    update(next) {
      for (const cell of next) {
        const key = `${cell.account}|${cell.region}`;
        if (!accountRow.has(cell.account) || !regionCol.has(cell.region)) axesDirty = true;
        cells.set(key, cell);
      }
      schedule();
    },
    cell: (account, region) => cells.get(`${account}|${region}`),
    cells: () => [...cells.values()],
    locate(account, region) {
      if (axesDirty) rebuildAxes();
      const row = accountRow.get(account);
      const col = regionCol.get(region);
      if (row === undefined || col === undefined) return undefined;
      const { rowH, colW } = geometry();
      const viewH = scroll.clientHeight || 240;
      const wanted = row * rowH;
      if (wanted < scroll.scrollTop || wanted > scroll.scrollTop + viewH - HEADER_HEIGHT - rowH) {
        scroll.scrollTop = Math.max(0, wanted - (viewH - HEADER_HEIGHT) / 2);
      }
      draw();
      const rect = canvas.getBoundingClientRect();
      return {
        x: rect.left + LABEL_WIDTH + col * colW + colW / 2,
        y: rect.top + HEADER_HEIGHT + row * rowH - scroll.scrollTop + rowH / 2,
      };
    },
    colourOf,
  };
}
