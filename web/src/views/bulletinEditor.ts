// Bulletin editor (create and edit). Field errors from the API ("title: …") are shown under the
// field they name. Editing an approved or published bulletin starts a new revision: the editor
// says so before saving.

import { api, ApiError } from '../api';
import { flash, navigate, state, type View } from '../app';
import {
  fromLocalInput,
  grantUnits,
  hasRoleOn,
  spinner,
  toLocalInput,
  unitInfo,
  unitLabel,
} from '../components/bulletinBits';
import { unitPicker } from '../components/unitPicker';
import { busy, h, messageBox, replace, uid } from '../dom';
import { errorField, errorText } from '../errors';
import { labelOf, lang, t } from '../i18n';
import { PRIORITIES, type Bulletin, type BulletinInput, type Priority, type UnitRef } from '../types';

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

interface FieldSlot {
  wrap: HTMLElement;
  control: Control | null;
  error: HTMLElement;
}

export function bulletinEditorView(): View {
  const el = h('section', { class: 'page editor-page' });
  return {
    el,
    update(param) {
      if (param === undefined || param === 'new') void mount(el, null);
      else {
        const id = Number(param);
        if (!Number.isInteger(id) || id <= 0) navigate('#/bulletins');
        else void mount(el, id);
      }
    },
  };
}

async function mount(el: HTMLElement, id: number | null): Promise<void> {
  const user = state.user;
  const heading = h('h1', { text: t(id === null ? 'editor.newTitle' : 'editor.editTitle') });
  replace(el, heading, spinner(t('app.loading')));
  let original: Bulletin | null = null;
  if (id !== null) {
    try {
      original = await api.bulletin(id);
    } catch (err) {
      const text = err instanceof ApiError && err.status === 404 ? t('detail.notFound', { id }) : errorText(err);
      replace(el, heading, h('p', { class: 'msg msg-error', role: 'alert', testid: 'editor-error', text }));
      return;
    }
    if (original.status === 'submitted' || original.status === 'archived') {
      replace(
        el,
        heading,
        h('p', { class: 'msg msg-warn', role: 'alert', testid: 'editor-frozen', text: t('editor.frozen', { status: labelOf('status', original.status) }) }),
        h('a', { href: `#/bulletins/${original.id}`, text: t('detail.back') }),
      );
      return;
    }
  } else if (!grantUnits(user, 'editor').length) {
    replace(el, heading, h('p', { class: 'msg msg-warn', role: 'alert', testid: 'editor-no-role', text: t('editor.noEditorRole') }));
    return;
  }
  replace(el, heading, editorForm(original));
}

function editorForm(b: Bulletin | null): HTMLElement {
  const user = state.user;
  const slots = new Map<string, FieldSlot>();
  const formMsg = messageBox('editor-msg');

  const slot = (key: string, label: string, control: Control | null, opts: { hint?: string; wide?: boolean; custom?: HTMLElement } = {}) => {
    const error = h('p', { class: 'field-error', id: uid('err'), testid: `ed-${key}-error`, hidden: true });
    let wrap: HTMLElement;
    if (opts.custom) {
      wrap = h('div', { class: opts.wide ? 'field-slot wide' : 'field-slot' }, opts.custom, error);
    } else if (control) {
      if (!control.id) control.id = uid();
      const describedBy = [error.id];
      let hintEl: HTMLElement | null = null;
      if (opts.hint) {
        hintEl = h('p', { class: 'hint', id: uid('hint'), text: opts.hint });
        describedBy.push(hintEl.id);
      }
      control.setAttribute('aria-describedby', describedBy.join(' '));
      wrap = h('div', { class: opts.wide ? 'field wide' : 'field' }, h('label', { for: control.id, text: label }), control, hintEl, error);
    } else {
      wrap = h('div', { class: 'field' }, error);
    }
    slots.set(key, { wrap, control, error });
    return wrap;
  };

  const clearErrors = () => {
    for (const s of slots.values()) {
      s.error.hidden = true;
      s.error.textContent = '';
      s.control?.removeAttribute('aria-invalid');
    }
    formMsg.clear();
  };
  const fieldError = (key: string, text: string): boolean => {
    const s = slots.get(key);
    if (!s) return false;
    s.error.textContent = text;
    s.error.hidden = false;
    s.control?.setAttribute('aria-invalid', 'true');
    return true;
  };

  // ---- controls --------------------------------------------------------------------------------
  const title = h('input', { type: 'text', testid: 'ed-title', maxlength: '250', required: true, value: b?.title ?? '' });
  const summary = h('textarea', { testid: 'ed-summary', rows: '3', maxlength: '1000' });
  summary.value = b?.summary ?? '';
  const body = h('textarea', { testid: 'ed-body', rows: '16', class: 'body-input', required: true, lang: b?.language || 'vi' });
  body.value = b?.body ?? '';
  const categories = state.meta?.categories ?? [];
  const category = h(
    'select',
    { testid: 'ed-category', required: true },
    h('option', { value: '', text: t('editor.categoryChoose') }),
    categories.map((c) => h('option', { value: c.code, text: lang() === 'vi' ? c.name_vi : c.name_en })),
  );
  if (b && !categories.some((c) => c.code === b.category)) category.append(h('option', { value: b.category, text: b.category }));
  category.value = b?.category ?? '';
  const priority = h(
    'select',
    { testid: 'ed-priority' },
    PRIORITIES.map((p) => h('option', { value: p, text: labelOf('priority', p) })),
  );
  priority.value = b?.priority ?? 'normal';
  const language = h('input', { type: 'text', testid: 'ed-language', value: b?.language ?? 'vi', maxlength: '17', autocomplete: 'off', spellcheck: 'false' });
  const penName = h('input', { type: 'text', testid: 'ed-pen-name', value: b?.pen_name ?? '', maxlength: '120' });
  const source = h('input', { type: 'text', testid: 'ed-source', value: b?.source ?? '', maxlength: '250' });
  const validFrom = h('input', { type: 'datetime-local', testid: 'ed-valid-from', value: toLocalInput(b?.valid_from) });
  const validUntil = h('input', { type: 'datetime-local', testid: 'ed-valid-until', value: toLocalInput(b?.valid_until) });

  // ---- owner and targets -----------------------------------------------------------------------
  let owner: UnitRef | null = null;
  let ownerEl: HTMLElement;
  let ownerPicker: ReturnType<typeof unitPicker> | null = null;
  if (b) {
    owner = { code: b.owner_unit, name: b.owner_unit };
    ownerEl = h('p', { class: 'fixed-owner', testid: 'ed-owner-fixed' }, `${t('editor.owner')}: `, unitLabel(b.owner_unit));
  } else {
    const grants = grantUnits(user, 'editor');
    const first = grants[0] ?? null;
    owner = first;
    ownerPicker = unitPicker({
      label: t('editor.owner'),
      testid: 'ed-owner',
      initial: first,
      filter: (u) => hasRoleOn(user, 'editor', u),
    });
    ownerEl = ownerPicker.el;
    // Prefer the user's own unit when they may edit it.
    if (user && first && user.unit_code !== first.code) {
      void unitInfo(user.unit_code).then((u) => {
        if (u && hasRoleOn(user, 'editor', u) && ownerPicker && owner?.code === first.code) {
          owner = { code: u.code, name: u.name };
          ownerPicker.set(owner);
        }
      });
    }
    ownerPicker.onChange((u) => {
      const changed = u?.code !== owner?.code;
      owner = u;
      if (changed && u) {
        targets = [];
        renderTargets();
      }
    });
  }

  let targets: UnitRef[] = (b?.target_units ?? []).map((code) => ({ code, name: code }));
  const targetList = h('ul', { class: 'chips', testid: 'ed-targets' });
  const renderTargets = () => {
    if (!targets.length) {
      replace(targetList, h('li', { class: 'chip chip-empty', testid: 'ed-targets-none', text: t('editor.targetNone') }));
      return;
    }
    replace(
      targetList,
      targets.map((u) => {
        const label = u.name === u.code ? unitLabel(u.code) : h('span', { text: u.name });
        return h(
          'li',
          { class: 'chip', testid: `ed-target-${u.code}` },
          label,
          h('button', {
            type: 'button',
            class: 'chip-remove',
            testid: `ed-target-remove-${u.code}`,
            'aria-label': t('editor.targetRemove', { name: u.name }),
            text: '×',
            on: {
              click: () => {
                targets = targets.filter((x) => x.code !== u.code);
                renderTargets();
              },
            },
          }),
        );
      }),
    );
  };
  renderTargets();
  const targetPicker = unitPicker({
    label: t('editor.targetAdd'),
    testid: 'ed-target',
    compact: true,
    filter: (u) => !!owner && u.code !== owner.code && (u.ancestors ?? []).some((a) => a.code === owner?.code),
  });
  targetPicker.onChange((u) => {
    if (!u) return;
    if (!targets.some((x) => x.code === u.code)) targets = [...targets, u];
    renderTargets();
    targetPicker.set(null);
  });
  const targetsBox = h(
    'fieldset',
    { class: 'targets' },
    h('legend', { text: t('editor.targets') }),
    targetList,
    targetPicker.el,
    h('p', { class: 'hint', text: t('editor.targetsHint') }),
  );

  // ---- layout ------------------------------------------------------------------------------------
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'ed-save', text: t('editor.save') });
  const cancel = h('a', { class: 'btn btn-ghost', href: b ? `#/bulletins/${b.id}` : '#/bulletins', testid: 'ed-cancel', text: t('editor.cancel') });
  const newRevision = b && (b.status === 'approved' || b.status === 'published');
  const form = h(
    'form',
    { class: 'card editor', testid: 'bulletin-editor', novalidate: true },
    newRevision
      ? h('p', {
          class: 'msg msg-warn',
          role: 'alert',
          testid: 'ed-revision-warning',
          text: t('editor.newRevisionWarning', { status: labelOf('status', b.status), next: b.revision + 1 }),
        })
      : null,
    b?.return_reason && b.status === 'returned'
      ? h('p', { class: 'msg msg-warn return-reason', testid: 'ed-return-reason', text: t('detail.returnReason', { reason: b.return_reason }) })
      : null,
    b?.audio ? h('p', { class: 'msg msg-info', testid: 'ed-audio-note', text: t('editor.audioDropped') }) : null,
    slot('title', t('editor.title'), title, { wide: true }),
    slot('summary', t('editor.summary'), summary, { wide: true }),
    slot('body', t('editor.body'), body, { wide: true, hint: t('editor.bodyHint') }),
    h(
      'div',
      { class: 'form-grid' },
      slot('category', t('editor.category'), category),
      slot('priority', t('editor.priority'), priority),
      slot('language', t('editor.language'), language, { hint: t('editor.languageHint') }),
      slot('pen_name', t('editor.penName'), penName),
      slot('source', t('editor.source'), source),
    ),
    h(
      'div',
      { class: 'form-grid' },
      slot('valid_from', t('editor.validFrom'), validFrom, { hint: t('editor.validHint') }),
      slot('valid_until', t('editor.validUntil'), validUntil),
    ),
    slot('owner_unit', t('editor.owner'), null, { custom: ownerEl, wide: true }),
    slot('target_units', t('editor.targets'), null, { custom: targetsBox, wide: true }),
    formMsg.el,
    h('div', { class: 'actions' }, submit, cancel),
  );

  const collect = (): BulletinInput => ({
    title: title.value.trim(),
    summary: summary.value.trim(),
    body: body.value,
    category: category.value,
    priority: priority.value as Priority,
    language: language.value.trim() || 'vi',
    pen_name: penName.value.trim(),
    source: source.value.trim(),
    valid_from: fromLocalInput(validFrom.value),
    valid_until: fromLocalInput(validUntil.value),
    target_units: targets.map((u) => u.code),
  });

  /** Only what changed: a PATCH that names `body` or `title` drops the audio even if unchanged. */
  const diff = (orig: Bulletin, next: BulletinInput): BulletinInput => {
    const out: BulletinInput = {};
    const same = (a: string | null | undefined, c: string | null | undefined) => (a ?? '') === (c ?? '');
    const set = <K extends keyof BulletinInput>(k: K, v: BulletinInput[K]) => {
      out[k] = v;
    };
    if (!same(orig.title, next.title)) set('title', next.title);
    if (!same(orig.summary, next.summary)) set('summary', next.summary);
    if (orig.body.trim() !== (next.body ?? '').replace(/\r\n/g, '\n').trim()) set('body', next.body);
    if (!same(orig.category, next.category)) set('category', next.category);
    if (orig.priority !== next.priority) set('priority', next.priority);
    if (!same(orig.language, next.language)) set('language', next.language);
    if (!same(orig.pen_name, next.pen_name)) set('pen_name', next.pen_name);
    if (!same(orig.source, next.source)) set('source', next.source);
    if (toLocalInput(orig.valid_from) !== validFrom.value) set('valid_from', next.valid_from ?? null);
    if (toLocalInput(orig.valid_until) !== validUntil.value) set('valid_until', next.valid_until ?? null);
    const a = [...orig.target_units].sort().join(',');
    const c = [...(next.target_units ?? [])].sort().join(',');
    if (a !== c) set('target_units', next.target_units);
    return out;
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors();
    const input = collect();
    const missing: [string, string][] = [];
    if (!input.title) missing.push(['title', t('editor.required')]);
    if (!(input.body ?? '').trim()) missing.push(['body', t('editor.required')]);
    if (!input.category) missing.push(['category', t('editor.required')]);
    if (!b && !owner) missing.push(['owner_unit', t('editor.ownerRequired')]);
    for (const [key, text] of missing) fieldError(key, text);
    if (missing.length) {
      formMsg.error(t('editor.fieldErrors'));
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    const controls = [...form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, button, select, textarea')] as HTMLInputElement[];
    void busy(controls, async () => {
      try {
        let saved: Bulletin;
        if (b) {
          const patch = diff(b, input);
          if (!Object.keys(patch).length) {
            formMsg.info(t('editor.noChanges'));
            return;
          }
          saved = await api.updateBulletin(b.id, patch);
          flash(t('editor.saved'));
        } else {
          const create: BulletinInput = { ...input, owner_unit: owner?.code };
          if (!create.valid_from) delete create.valid_from;
          if (!create.valid_until) delete create.valid_until;
          saved = await api.createBulletin(create);
          flash(t('editor.created'));
        }
        navigate(`#/bulletins/${saved.id}`);
      } catch (err) {
        const key = errorField(err);
        const text = errorText(err);
        const placed = key ? fieldError(key, text) : false;
        formMsg.error(placed ? `${t('editor.fieldErrors')} ${text}` : text);
        if (placed && key) slots.get(key)?.control?.focus();
      }
    }, { el: submit, busyText: t('common.busy') });
  });

  queueMicrotask(() => title.focus());
  return form;
}
