/** The rollout page's header: name, mode, status, elapsed time, progress bar, counts and map runs. */
import { outcomeColours, outcomesByMode, type RolloutHeaderWire, unknownOutcomeColour } from '../wire';
import { formatCount, formatDuration, h } from './dom';

export function renderHeader(header: HTMLElement, r: RolloutHeaderWire, live: boolean) {
  const elapsed = (r.stopDate ?? r.now) - r.startDate;
  const pct = r.total > 0 ? Math.round((r.done / r.total) * 100) : 0;
  const order = (r.mode && outcomesByMode[r.mode]) || Object.keys(outcomeColours);
  const keys = Object.keys(r.counts).sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  });
  const chips = h('div', { class: 'chips', 'aria-label': 'Counts per outcome' });
  const bar = h('div', { class: 'progress', title: `${r.done} of ${r.total} targets done` });
  for (const k of keys) {
    const n = r.counts[k] ?? 0;
    if (n === 0) continue;
    const colour = outcomeColours[k] ?? unknownOutcomeColour;
    chips.append(
      h(
        'span',
        { class: 'chip', 'data-outcome': k },
        h('i', { style: `background:${colour}` }),
        `${k} ${formatCount(n)}`,
      ),
    );
    if (r.total > 0) bar.append(h('span', { style: `width:${(n / r.total) * 100}%;background:${colour}` }));
  }
  const mapRuns = r.mapRuns.map((m) => {
    const c = m.itemCounts;
    return `Map run ${m.status.toLowerCase()}: ${formatCount(c.total ?? 0)} items · ${formatCount(c.running ?? 0)} running · ${formatCount(c.succeeded ?? 0)} succeeded · ${formatCount(c.failed ?? 0)} failed${c.pending ? ` · ${formatCount(c.pending)} pending` : ''}${m.maxConcurrency ? ` · max concurrency ${m.maxConcurrency}` : ''}`;
  });
  header.replaceChildren(
    h(
      'div',
      { class: 'title' },
      live ? h('a', { href: '?rollouts', 'data-nav': 'rollouts' }, '← All rollouts') : '',
      h('h1', {}, `Rollout ${r.name}`),
      r.mode ? h('span', { class: 'badge mode', 'data-field': 'mode' }, r.mode) : '',
      h('span', { class: `badge ${r.status}`, 'data-rollout-status': r.status }, r.status),
      h('span', { class: 'muted', 'data-field': 'elapsed' }, `elapsed ${formatDuration(elapsed)}`),
      h(
        'span',
        { 'data-field': 'progress' },
        `${formatCount(r.done)} / ${formatCount(r.total)} targets done (${pct}%)`,
      ),
    ),
    bar,
    chips,
    h('div', { class: 'muted', 'data-field': 'map-runs' }, mapRuns.join('  |  ') || 'No map run yet.'),
    r.error
      ? h('div', { class: 'error-box', style: 'padding:4px 0' }, `${r.error}${r.cause ? `: ${r.cause}` : ''}`)
      : '',
  );
}
