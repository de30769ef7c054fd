// A horizontal bar chart drawn with CSS (no chart library): one row per key, the bar's length
// proportional to the value, the value written out for screen readers and print.

import { h } from '../dom';

export interface Bar {
  key: string;
  label: string;
  value: number;
  text: string;
}

export function barChart(opts: { testid: string; caption: string; bars: Bar[] }): HTMLElement {
  const max = Math.max(1, ...opts.bars.map((b) => b.value));
  return h(
    'figure',
    { class: 'bar-chart', testid: opts.testid },
    h('figcaption', { text: opts.caption }),
    h(
      'ol',
      { class: 'bars' },
      opts.bars.map((b) => {
        const fill = h('span', { class: 'bar-fill' });
        fill.style.width = `${Math.max(0.5, (b.value / max) * 100)}%`;
        return h(
          'li',
          { class: 'bar-row', testid: `${opts.testid}-row-${b.key}` },
          h('span', { class: 'bar-label', title: b.label, text: b.label }),
          h('span', { class: 'bar-track', 'aria-hidden': 'true' }, fill),
          h('span', { class: 'bar-value', text: b.text }),
        );
      }),
    ),
  );
}
