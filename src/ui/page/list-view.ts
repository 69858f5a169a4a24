/**
 * The landing page: recent rollouts with mode, status and counts, newest first. It keeps polling
 * (every poll interval while a rollout runs, five times slower otherwise), so a rollout started
 * after the page was opened appears without a reload.
 */
import type { RolloutListItemWire } from '../wire';
import { outcomeColours, unknownOutcomeColour } from '../wire';
import { formatCount, formatDuration, h } from './dom';

export interface ListApi {
  ready: boolean;
  /** Names of the rollouts listed, newest first. */
  rollouts?: string[];
}

/** Renders the list into `root` and keeps it current; `load` reads `/api/rollouts`. */
export async function showRolloutList(
  root: HTMLElement,
  load: () => Promise<RolloutListItemWire[]>,
  pollMs: number,
  api: ListApi,
): Promise<void> {
  const body = h('tbody');
  const note = h('p', { class: 'muted', 'data-field': 'list-note' });
  const table = h(
    'table',
    { class: 'rollout-list', 'aria-label': 'Rollouts' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Rollout', 'Mode', 'Status', 'Targets', 'Started', 'Duration'].map((t) => h('th', {}, t)),
      ),
    ),
    body,
  );
  root.replaceChildren(
    h(
      'header',
      { class: 'rollout' },
      h(
        'div',
        { class: 'title' },
        h('h1', {}, 'stackfleet rollouts'),
        h('a', { href: '?responses', class: 'muted' }, 'Tamper responses'),
      ),
    ),
    h('main', { style: 'padding:12px 16px' }, h('section', { class: 'panel' }, table, note)),
  );

  const render = (rollouts: RolloutListItemWire[], now: number) => {
    body.replaceChildren(
      ...rollouts.map((r) => {
        const link = h('a', { href: `?rollout=${encodeURIComponent(r.executionArn)}` }, r.name);
        const counts = h('span', { class: 'chips' });
        for (const [outcome, n] of Object.entries(r.counts ?? {})) {
          if (n <= 0) continue;
          counts.append(
            h(
              'span',
              { class: 'chip', 'data-outcome': outcome },
              h('i', { style: `background:${outcomeColours[outcome] ?? unknownOutcomeColour}` }),
              `${outcome} ${formatCount(n)}`,
            ),
          );
        }
        if (r.total !== undefined) counts.append(h('span', { class: 'muted' }, `of ${formatCount(r.total)}`));
        const row = h(
          'tr',
          { 'data-rollout': r.name, 'data-status': r.status },
          h('td', {}, link),
          h('td', { 'data-field': 'mode' }, r.mode ?? '?'),
          h('td', {}, h('span', { class: `badge ${r.status}` }, r.status)),
          h('td', { 'data-field': 'counts' }, counts),
          h('td', { class: 'muted' }, new Date(r.startDate).toISOString().replace('.000Z', 'Z')),
          h('td', { class: 'muted' }, formatDuration((r.stopDate ?? now) - r.startDate)),
        );
        row.addEventListener('click', (event) => {
          if ((event.target as HTMLElement).tagName !== 'A') location.search = link.getAttribute('href')!;
        });
        return row;
      }),
    );
    note.textContent = rollouts.length ? '' : 'No rollouts yet.';
    api.rollouts = rollouts.map((r) => r.name);
  };

  const first = await load();
  render(first, Date.now());
  api.ready = true;
  if (pollMs <= 0) return;
  let running = first.some((r) => r.status === 'RUNNING');
  const poll = async () => {
    try {
      const rollouts = await load();
      render(rollouts, Date.now());
      running = rollouts.some((r) => r.status === 'RUNNING');
      note.classList.remove('error-box');
    } catch (error) {
      note.textContent = `Could not refresh the list: ${(error as Error).message}`;
      note.classList.add('error-box');
    }
    setTimeout(poll, running ? pollMs : pollMs * 5);
  };
  setTimeout(poll, running ? pollMs : pollMs * 5);
}
