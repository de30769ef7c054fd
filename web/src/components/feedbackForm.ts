// Form pieces for feedback: the fields of a category's Open311 attributes (one select for a
// single-value list, check boxes for a multi-value list, a text/number/date input otherwise), and
// the village chooser that follows a commune.

import { api } from '../api';
import { field, h, replace, uid } from '../dom';
import { t } from '../i18n';
import type { AttributeValue, FeedbackService, FeedbackServiceAttribute } from '../types';

export interface AttributeFields {
  el: HTMLElement;
  /** The answers, or a message naming the first required attribute left empty. */
  values(): { values: Record<string, AttributeValue> } | { error: string; focus: HTMLElement };
}

function sorted(attrs: FeedbackServiceAttribute[]): FeedbackServiceAttribute[] {
  return [...attrs].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
}

export function attributeFields(service: FeedbackService | null, testid: string): AttributeFields {
  const attrs = sorted((service?.attributes ?? []).filter((a) => !!a && !!a.code));
  const readers: { attr: FeedbackServiceAttribute; read(): AttributeValue | null; focus: HTMLElement }[] = [];
  const nodes: HTMLElement[] = [];
  for (const a of attrs) {
    const name = a.description || a.code;
    const label = a.required ? `${name} *` : name;
    const tid = `${testid}-${a.code}`;
    if (a.datatype === 'singlevaluelist') {
      const sel = h(
        'select',
        { testid: tid, required: a.required ? true : undefined },
        h('option', { value: '', text: t('fb.attr.choose') }),
        (a.values ?? []).map((v) => h('option', { value: v.key, text: v.name })),
      );
      nodes.push(field(label, sel));
      readers.push({ attr: a, read: () => sel.value || null, focus: sel });
    } else if (a.datatype === 'multivaluelist') {
      const boxes = (a.values ?? []).map((v) => {
        const id = uid('attr');
        const cb = h('input', { type: 'checkbox', id, value: v.key, testid: `${tid}-${v.key}` });
        return { cb, row: h('div', { class: 'check-row' }, cb, h('label', { for: id, text: v.name })) };
      });
      nodes.push(h('fieldset', { class: 'plain-fieldset field', testid: tid }, h('legend', { class: 'fb-legend', text: label }), boxes.map((b) => b.row)));
      readers.push({
        attr: a,
        read: () => {
          const v = boxes.filter((b) => b.cb.checked).map((b) => b.cb.value);
          return v.length ? v : null;
        },
        focus: boxes[0]?.cb ?? nodes[nodes.length - 1]!,
      });
    } else {
      const type = a.datatype === 'number' ? 'number' : a.datatype === 'datetime' ? 'datetime-local' : 'text';
      const input = h('input', { type, testid: tid, maxlength: type === 'text' ? '500' : undefined });
      nodes.push(field(label, input));
      readers.push({ attr: a, read: () => input.value.trim() || null, focus: input });
    }
  }
  const el = h('div', { class: 'fb-attributes', testid }, nodes);
  el.hidden = nodes.length === 0;
  return {
    el,
    values() {
      const values: Record<string, AttributeValue> = {};
      for (const r of readers) {
        const v = r.read();
        if (v === null) {
          if (r.attr.required) return { error: t('fb.attr.required', { name: r.attr.description || r.attr.code }), focus: r.focus };
          continue;
        }
        values[r.attr.code] = v;
      }
      return { values };
    },
  };
}

/** The readable value of an attribute answer, with the value names of the definition. */
export function attributeText(attr: FeedbackServiceAttribute | undefined, value: unknown): string {
  const name = (key: string) => attr?.values?.find((v) => v.key === key)?.name ?? key;
  if (Array.isArray(value)) return value.map((v) => name(String(v))).join(', ');
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return name(String(value));
}

/** A select of the villages of a commune ("" = none), refilled by `load(communeCode)`. */
export function villageSelect(testid: string): { el: HTMLSelectElement; load(commune: string | null): Promise<void> } {
  const el = h('select', { testid, disabled: true }, h('option', { value: '', text: t('fb.village.none') }));
  let seq = 0;
  return {
    el,
    async load(commune) {
      const mine = ++seq;
      replace(el, h('option', { value: '', text: t('fb.village.none') }));
      el.disabled = true;
      if (!commune) return;
      try {
        const { items } = await api.unitChildren(commune);
        if (mine !== seq) return;
        for (const u of items) el.appendChild(h('option', { value: u.code, text: u.name }));
        el.disabled = items.length === 0;
      } catch {
        /* villages are optional: leave the select empty */
      }
    },
  };
}
