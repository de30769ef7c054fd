// A <select> of published bulletins (the ones that may go on air), newest first.

import { api } from '../api';
import { h, replace } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import type { Bulletin } from '../types';

export interface BulletinSelect {
  el: HTMLSelectElement;
  value(): number | null;
  /** Resolves once the list is loaded. */
  ready: Promise<Bulletin[]>;
  titleOf(id: number): string;
}

export function bulletinSelect(testid: string): BulletinSelect {
  const el = h('select', { testid }, h('option', { value: '', text: t('app.loading') }));
  let items: Bulletin[] = [];
  const ready = api
    .bulletins({ status: 'published', limit: 100 })
    .then((r) => {
      items = r.items;
      replace(
        el,
        h('option', { value: '', text: items.length ? t('dev.bulletin.choose') : t('dev.bulletin.none') }),
        items.map((b) => h('option', { value: String(b.id), text: `${b.title || `#${b.id}`} (#${b.id})` })),
      );
      return items;
    })
    .catch((err: unknown) => {
      replace(el, h('option', { value: '', text: errorText(err) }));
      return [] as Bulletin[];
    });
  return {
    el,
    ready,
    value: () => (el.value ? Number(el.value) : null),
    titleOf: (id) => items.find((b) => b.id === id)?.title ?? `#${id}`,
  };
}
