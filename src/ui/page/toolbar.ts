/**
 * Above the matrix: the legend of the outcomes the rollout's mode can have (each one a filter
 * button), "Failed only" in one click, and a search by account, OU or region.
 */
import { Outcomes, outcomeColours, outcomesByMode, unknownOutcomeColour } from '../wire';
import { h } from './dom';
import type { FilterState } from './matrix-rows';

export interface Toolbar {
  element: HTMLElement;
  /** Lists the outcomes of `mode` (plus any other outcome the rollout has) in the legend. */
  setLegend(mode: string | undefined, present: Iterable<string>): void;
  /** "showing 12 of 250 accounts". */
  setShown(shown: number, total: number): void;
  state(): FilterState;
}

/** The legend order when the mode is unknown (a rollout refused before it read its input). */
const everyOutcome = [...new Set(Object.values(outcomesByMode).flat())];

export function createToolbar(onChange: (state: FilterState) => void): Toolbar {
  let selected = new Set<string>();
  let query = '';
  let legendKey = '';
  const legend = h('div', { class: 'chips legend', 'aria-label': 'Outcome legend' });
  const all = h('button', { type: 'button', 'data-filter': 'all', 'aria-pressed': 'true' }, 'All');
  const failedOnly = h(
    'button',
    { type: 'button', 'data-filter': 'failed', 'aria-pressed': 'false' },
    'Failed only',
  );
  const search = h('input', {
    type: 'search',
    placeholder: 'Search account, OU or region',
    'aria-label': 'Search account, OU or region',
  });
  const shown = h('span', { class: 'muted', 'data-field': 'filter-status' });
  const element = h(
    'div',
    { class: 'matrix-toolbar' },
    h('div', { class: 'filters' }, all, failedOnly, search, shown),
    legend,
  );

  const state = (): FilterState => ({ outcomes: new Set(selected), query });
  const changed = () => {
    all.setAttribute('aria-pressed', String(selected.size === 0));
    failedOnly.setAttribute('aria-pressed', String(selected.size === 1 && selected.has(Outcomes.Failed)));
    legend.querySelectorAll<HTMLElement>('[data-outcome]').forEach((chip) => {
      chip.setAttribute('aria-pressed', String(selected.has(chip.dataset.outcome ?? '')));
    });
    onChange(state());
  };
  all.addEventListener('click', () => {
    selected = new Set();
    changed();
  });
  failedOnly.addEventListener('click', () => {
    selected = new Set([Outcomes.Failed]);
    changed();
  });
  search.addEventListener('input', () => {
    query = search.value;
    changed();
  });

  return {
    element,
    setLegend(mode, present) {
      const known = (mode && outcomesByMode[mode]) || everyOutcome;
      const outcomes = [...known, ...[...present].filter((o) => !known.includes(o))];
      const key = outcomes.join(',');
      if (key === legendKey) return;
      legendKey = key;
      legend.replaceChildren(
        ...outcomes.map((outcome) => {
          const chip = h(
            'button',
            {
              type: 'button',
              class: 'chip',
              'data-outcome': outcome,
              'aria-pressed': String(selected.has(outcome)),
              title: `Show only ${outcome} targets (click again to show all)`,
            },
            h('i', { style: `background:${outcomeColours[outcome] ?? unknownOutcomeColour}` }),
            outcome,
          );
          chip.addEventListener('click', () => {
            selected = selected.has(outcome) && selected.size === 1 ? new Set() : new Set([outcome]);
            changed();
          });
          return chip;
        }),
      );
    },
    setShown(n, total) {
      shown.textContent = n === total ? `${total} accounts` : `showing ${n} of ${total} accounts`;
    },
    state,
  };
}
