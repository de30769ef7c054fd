// Feedback detail (#/feedback/<id>): the description and attributes, attachments (photos and
// voice recordings), the place on a small map, the contact, the handling body and deadlines, the
// history, and the actions the reader may take given the status, the answer status and their
// roles over the handling body: moderate, accept, transfer, move, re-categorise, merge, reject,
// note; draft and submit the answer (feedback handler), approve or return it (approver), and
// turn the published answer into a radio bulletin (editor).

import { ApiError, feedbackApi } from '../api';
import { navigate, state, type View } from '../app';
import { bulletinHref, fmtTime, hasRoleOn, spinner, timeEl, unitInfo } from '../components/bulletinBits';
import { msToIso, toMs } from '../components/deviceBits';
import {
  answerBadge,
  channelLabel,
  deadlineBadge,
  escalationFlag,
  eventLabel,
  fbStatusBadge,
  feedbackHref,
  feedbackTitle,
  fmtDeadline,
  loadAgencies,
  loadServices,
  serviceLabel,
  serviceOptions,
  fbErrorText,
} from '../components/feedbackBits';
import { attributeText, villageSelect } from '../components/feedbackForm';
import { feedbackMap } from '../components/feedbackMap';
import { unitPicker } from '../components/unitPicker';
import { busy, field, h, messageBox, replace, uid } from '../dom';
import { hasKey, t } from '../i18n';
import type { Feedback, FeedbackDetail, FeedbackEvent, FeedbackService, Unit } from '../types';

type Msg = ReturnType<typeof messageBox>;

interface Ctx {
  d: FeedbackDetail;
  f: Feedback;
  services: FeedbackService[];
  handler: boolean;
  areaHandler: boolean;
  approver: boolean;
  editor: boolean;
  msg: Msg;
  /** Runs an API call with every action control disabled; on success reloads with `notice`. */
  act(fn: () => Promise<unknown>, notice: string | ((r: unknown) => string), button?: HTMLButtonElement, extra?: HTMLButtonElement[]): void;
}

const MAX_ANSWER = 8000;

function pseudoUnit(code: string): Pick<Unit, 'code' | 'ancestors'> {
  return { code, ancestors: [] };
}

export function feedbackDetailView(): View {
  const el = h('section', { class: 'page detail-page fb-detail-page' });
  let seq = 0;

  const load = async (id: number, notice?: string) => {
    const mine = ++seq;
    if (!el.firstChild || !notice) replace(el, backLink(), spinner(t('app.loading')));
    let d: FeedbackDetail;
    let services: FeedbackService[] = [];
    try {
      [d, services] = await Promise.all([feedbackApi.get(id), loadServices().catch(() => [] as FeedbackService[])]);
    } catch (err) {
      if (mine !== seq) return;
      const text = err instanceof ApiError && err.status === 404 ? t('fb.notFound', { id }) : fbErrorText(err);
      replace(el, backLink(), h('p', { class: 'msg msg-error', role: 'alert', testid: 'fb-detail-error', text }));
      return;
    }
    const f = d.feedback;
    const [body, area] = await Promise.all([
      f.body_unit ? unitInfo(f.body_unit) : Promise.resolve(null),
      f.commune_code ? unitInfo(f.commune_code) : Promise.resolve(null),
    ]);
    if (mine !== seq) return;
    const user = state.user;
    const bodyUnit = body ?? pseudoUnit(f.body_unit);
    const areaUnit = area ?? pseudoUnit(f.commune_code);
    const msg = messageBox('fb-detail-msg');
    if (notice) msg.success(notice);
    const ctx: Ctx = {
      d,
      f,
      services,
      handler: hasRoleOn(user, 'feedback_handler', bodyUnit),
      areaHandler: hasRoleOn(user, 'feedback_handler', areaUnit) || hasRoleOn(user, 'feedback_handler', bodyUnit),
      approver: hasRoleOn(user, 'approver', bodyUnit),
      editor: hasRoleOn(user, 'editor', bodyUnit),
      msg,
      act(fn, done, button, extra = []) {
        msg.clear();
        const all = [...el.querySelectorAll<HTMLButtonElement>('.fb-actionable button'), ...extra];
        void busy(
          all,
          async () => {
            try {
              const r = await fn();
              await load(f.id, typeof done === 'string' ? done : done(r));
            } catch (err) {
              msg.error(fbErrorText(err));
              msg.el.setAttribute('data-code', err instanceof ApiError ? err.code : '');
            }
          },
          button ? { el: button, busyText: t('common.busy') } : undefined,
        );
      },
    };
    render(ctx);
  };

  const render = (c: Ctx) => {
    const { f, d } = c;
    replace(
      el,
      backLink(),
      header(c),
      c.msg.el,
      outcomeNotes(f),
      actionsCard(c),
      h(
        'div',
        { class: 'detail-grid fb-grid' },
        h('div', { class: 'detail-main' }, descriptionCard(c), answerCard(c), attachmentsCard(f), locationCard(c)),
        h('div', { class: 'detail-side' }, factsCard(c), contactCard(f), historyCard(d.events, c.services)),
      ),
    );
  };

  return {
    el,
    update(param) {
      const id = Number(param);
      if (!Number.isInteger(id) || id <= 0) {
        navigate('#/feedback');
        return;
      }
      void load(id);
    },
  };
}

function backLink(): HTMLElement {
  return h('p', { class: 'back' }, h('a', { href: '#/feedback', testid: 'fb-detail-back', text: t('fb.back') }));
}

function header(c: Ctx): HTMLElement {
  const { f } = c;
  return h(
    'header',
    { class: 'detail-head', testid: 'fb-detail', 'data-id': String(f.id), 'data-status': f.status, 'data-answer': f.answer_status },
    h('h1', { testid: 'fb-detail-title' }, h('span', { class: 'fb-id mono', text: `#${f.id} ` }), feedbackTitle(f, 140)),
    h(
      'p',
      { class: 'badges' },
      fbStatusBadge(f.status, 'fb-detail-status'),
      answerBadge(f.answer_status, 'fb-detail-answer-status'),
      h('span', { class: 'badge', testid: 'fb-detail-category', text: c.d.service_name || serviceLabel(f.service_code, c.services) }),
      deadlineBadge(f, 'fb-detail-deadline'),
      escalationFlag(f, 'fb-detail-escalated'),
    ),
  );
}

function outcomeNotes(f: Feedback): HTMLElement | null {
  if (f.status === 'rejected' && f.reject_reason) {
    return h('p', { class: 'msg msg-warn return-reason', role: 'note', testid: 'fb-reject-reason', text: t('fb.rejectedBecause', { reason: f.reject_reason }) });
  }
  if (f.status === 'merged' && f.merged_into) {
    return h(
      'p',
      { class: 'msg msg-info', role: 'note', testid: 'fb-merged-into' },
      t('fb.mergedInto'),
      ' ',
      h('a', { href: feedbackHref(f.merged_into), text: `#${f.merged_into}` }),
    );
  }
  return null;
}

// ---- actions ----------------------------------------------------------------------------------

function actionsCard(c: Ctx): HTMLElement | null {
  const { f } = c;
  const row = h('div', { class: 'actions', testid: 'fb-actions' });
  const extra = h('div', { class: 'action-extra', testid: 'fb-action-extra' });
  const toggles: HTMLButtonElement[] = [];
  const btn = (testid: string, text: string, cls = 'btn') => h('button', { type: 'button', class: cls, testid, text });
  /** A button that opens (or closes) its form below the row; one form at a time. */
  const opener = (testid: string, text: string, build: () => HTMLElement, cls = 'btn') => {
    const b = btn(testid, text, cls);
    b.setAttribute('aria-expanded', 'false');
    b.addEventListener('click', () => {
      const open = b.getAttribute('aria-expanded') === 'true';
      for (const o of toggles) o.setAttribute('aria-expanded', 'false');
      if (open) {
        replace(extra);
        return;
      }
      b.setAttribute('aria-expanded', 'true');
      replace(extra, build());
      extra.querySelector<HTMLElement>('textarea, input, select')?.focus();
    });
    toggles.push(b);
    return b;
  };
  const items: HTMLElement[] = [];
  const open = ['moderation', 'received', 'assigned'].includes(f.status);

  if (f.status === 'moderation' && c.areaHandler) {
    const ok = btn('fb-act-moderate-accept', t('fb.act.moderateAccept'), 'btn btn-primary');
    ok.addEventListener('click', () => c.act(() => feedbackApi.moderate(f.id, true), t('fb.done.moderated'), ok));
    items.push(ok, opener('fb-act-moderate-reject', t('fb.act.moderateReject'), () => reasonForm(c, 'moderate'), 'btn btn-danger'));
  }
  if (c.handler) {
    if (f.status === 'received') {
      const acc = btn('fb-act-accept', t('fb.act.accept'), 'btn btn-primary');
      acc.addEventListener('click', () => c.act(() => feedbackApi.accept(f.id), t('fb.done.accepted'), acc));
      items.push(acc);
    }
    if (f.status === 'received' || f.status === 'assigned') items.push(opener('fb-act-transfer', t('fb.act.transfer'), () => transferForm(c)));
    if (f.status === 'moderation' || f.status === 'received') items.push(opener('fb-act-move', t('fb.act.move'), () => moveForm(c)));
    if (open) {
      items.push(opener('fb-act-recategorise', t('fb.act.recategorise'), () => recategoriseForm(c)));
      items.push(opener('fb-act-merge', t('fb.act.merge'), () => mergeForm(c)));
      if (f.status !== 'moderation') items.push(opener('fb-act-reject', t('fb.act.reject'), () => reasonForm(c, 'reject'), 'btn btn-danger'));
    }
    items.push(opener('fb-act-note', t('fb.act.note'), () => noteForm(c), 'btn btn-ghost'));
  }
  if (!items.length) return null;
  replace(row, items);
  return h('section', { class: 'card actions-card fb-actionable', 'aria-label': t('fb.actions') }, row, extra);
}

function confirmButton(testid: string, text: string, cls = 'btn btn-primary'): HTMLButtonElement {
  return h('button', { type: 'submit', class: cls, testid, text });
}

function textareaField(testid: string, label: string, rows = 3, max = 2000): { el: HTMLElement; input: HTMLTextAreaElement } {
  const id = uid('ta');
  const input = h('textarea', { id, testid, rows: String(rows), maxlength: String(max) });
  return { input, el: h('div', { class: 'field' }, h('label', { for: id, text: label }), input) };
}

function reasonForm(c: Ctx, mode: 'moderate' | 'reject'): HTMLElement {
  const reason = textareaField(`fb-${mode}-reason`, t('fb.form.rejectReason'));
  const ok = confirmButton(`fb-${mode}-confirm`, t('fb.form.rejectConfirm'), 'btn btn-danger');
  const form = h('form', { class: 'return-form', novalidate: true, testid: `fb-${mode}-form` }, reason.el, h('div', { class: 'actions' }, ok));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = reason.input.value.trim();
    if (!text) {
      reason.input.focus();
      c.msg.error(t('fb.form.reasonRequired'));
      return;
    }
    c.act(() => (mode === 'moderate' ? feedbackApi.moderate(c.f.id, false, text) : feedbackApi.reject(c.f.id, text)), t('fb.done.rejected'), ok, [ok]);
  });
  return form;
}

function transferForm(c: Ctx): HTMLElement {
  const unit = unitPicker({ label: t('fb.form.transferUnit'), testid: 'fb-transfer-unit', hint: t('fb.form.transferUnitHint') });
  const agency = h('select', { testid: 'fb-transfer-agency' }, h('option', { value: '', text: t('fb.form.agencyCommittee') }));
  const agencyNote = h('p', { class: 'hint', hidden: true });
  const note = textareaField('fb-transfer-note', t('fb.form.transferNote'));
  const ok = confirmButton('fb-transfer-confirm', t('fb.form.transferConfirm'));
  const fill = async (code: string | null) => {
    replace(agency, h('option', { value: '', text: t('fb.form.agencyCommittee') }));
    agencyNote.hidden = true;
    if (!code) return;
    try {
      const all = await loadAgencies();
      if (unit.value()?.code !== code) return;
      for (const a of all.filter((x) => x.active && x.unit_code === code)) agency.appendChild(h('option', { value: String(a.id), text: a.name }));
    } catch (err) {
      agencyNote.textContent = fbErrorText(err);
      agencyNote.hidden = false;
    }
  };
  unit.onChange((u) => void fill(u?.code ?? null));
  const form = h(
    'form',
    { class: 'return-form fb-form-inline', novalidate: true, testid: 'fb-transfer-form' },
    unit.el,
    field(t('fb.form.agency'), agency),
    agencyNote,
    note.el,
    h('div', { class: 'actions' }, ok),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const u = unit.value();
    if (!u) {
      unit.input.focus();
      c.msg.error(t('fb.form.unitRequired'));
      return;
    }
    const body: { body_unit: string; agency_id?: number; note?: string } = { body_unit: u.code };
    if (agency.value) body.agency_id = Number(agency.value);
    if (note.input.value.trim()) body.note = note.input.value.trim();
    c.act(() => feedbackApi.transfer(c.f.id, body), t('fb.done.transferred'), ok, [ok]);
  });
  return form;
}

function moveForm(c: Ctx): HTMLElement {
  const commune = unitPicker({ label: t('fb.form.moveCommune'), testid: 'fb-move-commune', filter: (u) => u.level === 'commune' });
  const village = villageSelect('fb-move-village');
  commune.onChange((u) => void village.load(u?.code ?? null));
  const ok = confirmButton('fb-move-confirm', t('fb.form.moveConfirm'));
  const form = h(
    'form',
    { class: 'return-form fb-form-inline', novalidate: true, testid: 'fb-move-form' },
    commune.el,
    field(t('fb.field.village'), village.el),
    h('div', { class: 'actions' }, ok),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const u = commune.value();
    if (!u) {
      commune.input.focus();
      c.msg.error(t('fb.err.commune'));
      return;
    }
    c.act(() => feedbackApi.move(c.f.id, u.code, village.el.value || undefined), t('fb.done.moved'), ok, [ok]);
  });
  return form;
}

function recategoriseForm(c: Ctx): HTMLElement {
  const sel = h('select', { testid: 'fb-recat-service' }, serviceOptions(c.services));
  sel.value = c.f.service_code;
  const ok = confirmButton('fb-recat-confirm', t('fb.form.recatConfirm'));
  const form = h('form', { class: 'return-form', novalidate: true, testid: 'fb-recat-form' }, field(t('fb.field.category'), sel), h('div', { class: 'actions' }, ok));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!sel.value || sel.value === c.f.service_code) {
      sel.focus();
      c.msg.error(t('fb.form.recatSame'));
      return;
    }
    c.act(() => feedbackApi.recategorise(c.f.id, sel.value), t('fb.done.recategorised'), ok, [ok]);
  });
  return form;
}

function mergeForm(c: Ctx): HTMLElement {
  const into = h('input', { type: 'number', min: '1', step: '1', testid: 'fb-merge-into', inputmode: 'numeric' });
  const ok = confirmButton('fb-merge-confirm', t('fb.form.mergeConfirm'), 'btn btn-danger');
  const form = h(
    'form',
    { class: 'return-form', novalidate: true, testid: 'fb-merge-form' },
    field(t('fb.form.mergeInto'), into, t('fb.form.mergeHint')),
    h('div', { class: 'actions' }, ok),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const n = Number(into.value.replace(/^#/, ''));
    if (!Number.isInteger(n) || n <= 0 || n === c.f.id) {
      into.focus();
      c.msg.error(t('fb.form.mergeInvalid'));
      return;
    }
    if (!window.confirm(t('fb.form.mergeAsk', { id: c.f.id, into: n }))) return;
    c.act(() => feedbackApi.merge(c.f.id, n), t('fb.done.merged', { into: n }), ok, [ok]);
  });
  return form;
}

function noteForm(c: Ctx): HTMLElement {
  const note = textareaField('fb-note-text', t('fb.form.note'), 3, 4000);
  const pubId = uid('pub');
  const pub = h('input', { type: 'checkbox', id: pubId, testid: 'fb-note-public' });
  const ok = confirmButton('fb-note-confirm', t('fb.form.noteConfirm'));
  const form = h(
    'form',
    { class: 'return-form', novalidate: true, testid: 'fb-note-form' },
    note.el,
    h('div', { class: 'check-row' }, pub, h('label', { for: pubId, text: t('fb.form.notePublic') })),
    h('div', { class: 'actions' }, ok),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = note.input.value.trim();
    if (!text) {
      note.input.focus();
      c.msg.error(t('fb.form.noteRequired'));
      return;
    }
    c.act(() => feedbackApi.note(c.f.id, text, pub.checked), pub.checked ? t('fb.done.notePublic') : t('fb.done.note'), ok, [ok]);
  });
  return form;
}

// ---- content ----------------------------------------------------------------------------------

function descriptionCard(c: Ctx): HTMLElement {
  const { f } = c;
  const svc = c.services.find((s) => s.code === f.service_code);
  const attrs = Object.entries(f.attributes ?? {});
  return h(
    'article',
    { class: 'card content-card', 'aria-labelledby': 'fb-desc-title' },
    h('h2', { id: 'fb-desc-title', text: t('fb.description') }),
    f.title ? h('p', { class: 'summary', testid: 'fb-detail-title-text', text: f.title }) : null,
    h('div', { class: 'body-text', testid: 'fb-description', text: f.description }),
    attrs.length
      ? h(
          'dl',
          { class: 'facts fb-attrs', testid: 'fb-attributes' },
          attrs.flatMap(([code, v]) => {
            const def = svc?.attributes.find((a) => a.code === code);
            return [h('dt', { text: def?.description || code }), h('dd', { testid: `fb-attr-${code}`, text: attributeText(def, v) })];
          }),
        )
      : null,
  );
}

function answerCard(c: Ctx): HTMLElement {
  const { f } = c;
  const parts: (HTMLElement | null)[] = [];
  if (f.answer_status === 'published') {
    parts.push(
      h('p', { class: 'muted', text: t('fb.answer.publishedAt', { when: fmtTime(f.answered_at) }) }),
      h('div', { class: 'body-text fb-answer-text', testid: 'fb-answer-public', text: f.answer_public }),
    );
    if (f.bulletin_id) {
      parts.push(
        h(
          'p',
          { class: 'fb-bulletin' },
          h('a', { class: 'btn', href: bulletinHref(f.bulletin_id), testid: 'fb-bulletin-link', text: t('fb.answer.bulletinLink', { id: f.bulletin_id }) }),
        ),
      );
    } else if (c.editor) {
      const make = h('button', { type: 'button', class: 'btn btn-primary', testid: 'fb-make-bulletin', text: t('fb.answer.makeBulletin') });
      make.addEventListener('click', () =>
        c.act(
          () => feedbackApi.makeBulletin(f.id),
          (r) => {
            const res = r as { bulletin?: { id: number }; audio?: string };
            const audio = res.audio === 'synthesized' ? t('fb.bulletin.audioOk') : res.audio === 'failed' ? t('fb.bulletin.audioFailed') : t('fb.bulletin.audioNone');
            return `${t('fb.done.bulletin', { id: res.bulletin?.id ?? 0 })} ${audio}`;
          },
          make,
        ),
      );
      parts.push(h('p', { class: 'hint', text: t('fb.answer.makeBulletinHint') }), h('div', { class: 'actions' }, make));
    }
  } else if (c.handler && f.status === 'assigned' && (f.answer_status === 'none' || f.answer_status === 'draft')) {
    parts.push(returnedNote(c), answerEditor(c));
  } else if (f.answer_status === 'submitted') {
    parts.push(
      h('p', { class: 'msg msg-info', testid: 'fb-answer-waiting', text: t('fb.answer.waiting') }),
      h('div', { class: 'body-text fb-answer-text', testid: 'fb-answer-draft', text: f.answer_text }),
    );
    if (c.approver) parts.push(approveBox(c));
  } else if (f.answer_text) {
    parts.push(h('p', { class: 'muted', text: t('fb.answer.draftOnly') }), h('div', { class: 'body-text fb-answer-text', testid: 'fb-answer-draft', text: f.answer_text }));
  } else {
    const why =
      f.status === 'received' && c.handler ? t('fb.answer.acceptFirst') : f.status === 'moderation' ? t('fb.answer.moderateFirst') : t('fb.answer.none');
    parts.push(h('p', { class: 'muted', testid: 'fb-answer-none', text: why }));
  }
  return h(
    'section',
    { class: 'card fb-answer-card fb-actionable', testid: 'fb-answer-card', 'aria-labelledby': 'fb-answer-title' },
    h('h2', { id: 'fb-answer-title', text: t('fb.answer.title') }),
    parts,
  );
}

/** The approver's reason when the answer came back (the last answer event is a return). */
function returnedNote(c: Ctx): HTMLElement | null {
  if (c.f.answer_status !== 'draft') return null;
  const answerEvents = c.d.events.filter((e) => e.kind.startsWith('answer_'));
  const last = answerEvents[answerEvents.length - 1];
  if (!last || last.kind !== 'answer_returned') return null;
  const reason = typeof last.detail?.reason === 'string' ? last.detail.reason : '';
  return h('p', { class: 'msg msg-warn return-reason', role: 'note', testid: 'fb-answer-returned', text: t('fb.answer.returned', { reason }) });
}

function answerEditor(c: Ctx): HTMLElement {
  const { f } = c;
  const id = uid('answer');
  const text = h('textarea', { id, testid: 'fb-answer-text', rows: '8', maxlength: String(MAX_ANSWER), class: 'body-input' });
  text.value = f.answer_text ?? '';
  const save = h('button', { type: 'button', class: 'btn', testid: 'fb-answer-save', text: t('fb.answer.save') });
  const submit = h('button', { type: 'button', class: 'btn btn-primary', testid: 'fb-answer-submit', text: t('fb.answer.submit') });
  const value = () => text.value.trim();
  const check = (): boolean => {
    if (value()) return true;
    text.focus();
    c.msg.error(t('fb.answer.empty'));
    return false;
  };
  save.addEventListener('click', () => {
    if (check()) c.act(() => feedbackApi.saveAnswer(f.id, value()), t('fb.done.answerSaved'), save, [save, submit]);
  });
  submit.addEventListener('click', () => {
    if (!check()) return;
    const changed = f.answer_status !== 'draft' || value() !== (f.answer_text ?? '').trim();
    c.act(
      async () => {
        if (changed) await feedbackApi.saveAnswer(f.id, value());
        return feedbackApi.submitAnswer(f.id);
      },
      t('fb.done.answerSubmitted'),
      submit,
      [save, submit],
    );
  });
  return h(
    'div',
    { class: 'fb-answer-editor' },
    h('label', { for: id, class: 'fb-label', text: t('fb.answer.label') }),
    h('p', { class: 'hint', text: t('fb.answer.hint') }),
    text,
    h('div', { class: 'actions' }, save, submit),
  );
}

function approveBox(c: Ctx): HTMLElement {
  const { f } = c;
  const approve = h('button', { type: 'button', class: 'btn btn-primary', testid: 'fb-answer-approve', text: t('fb.answer.approve') });
  const ret = h('button', { type: 'button', class: 'btn btn-danger', testid: 'fb-answer-return', text: t('fb.answer.return'), 'aria-expanded': 'false' });
  const extra = h('div', { class: 'action-extra' });
  approve.addEventListener('click', () => c.act(() => feedbackApi.approveAnswer(f.id), t('fb.done.answerApproved'), approve, [approve, ret]));
  ret.addEventListener('click', () => {
    const open = ret.getAttribute('aria-expanded') === 'true';
    ret.setAttribute('aria-expanded', String(!open));
    if (open) {
      replace(extra);
      return;
    }
    const reason = textareaField('fb-answer-return-reason', t('fb.answer.returnReason'));
    const ok = confirmButton('fb-answer-return-confirm', t('fb.answer.returnConfirm'), 'btn btn-danger');
    const form = h('form', { class: 'return-form', novalidate: true }, reason.el, h('div', { class: 'actions' }, ok));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const why = reason.input.value.trim();
      if (!why) {
        reason.input.focus();
        c.msg.error(t('fb.form.reasonRequired'));
        return;
      }
      c.act(() => feedbackApi.returnAnswer(f.id, why), t('fb.done.answerReturned'), ok, [approve, ret, ok]);
    });
    replace(extra, form);
    reason.input.focus();
  });
  return h('div', { class: 'fb-approve' }, h('p', { class: 'hint', text: t('fb.answer.approveHint') }), h('div', { class: 'actions' }, approve, ret), extra);
}

function attachmentsCard(f: Feedback): HTMLElement | null {
  const list = f.attachments ?? [];
  if (!list.length) return null;
  const url = (a: Feedback['attachments'][number]) => a.url || feedbackApi.attachmentUrl(f.id, a.sha256);
  const images = list.filter((a) => a.kind === 'image');
  const audio = list.filter((a) => a.kind === 'audio');
  const others = list.filter((a) => a.kind !== 'image' && a.kind !== 'audio');
  return h(
    'section',
    { class: 'card', testid: 'fb-attachments', 'aria-labelledby': 'fb-att-title' },
    h('h2', { id: 'fb-att-title', text: t('fb.attachments', { n: list.length }) }),
    images.length
      ? h(
          'ul',
          { class: 'image-grid fb-images' },
          images.map((a, i) =>
            h(
              'li',
              { class: 'image-item' },
              h(
                'a',
                { class: 'image-link', href: url(a), target: '_blank', rel: 'noopener' },
                h('img', { src: url(a), alt: t('fb.photoAlt', { n: i + 1 }), loading: 'lazy', testid: `fb-image-${a.sha256.slice(0, 12)}` }),
              ),
            ),
          ),
        )
      : null,
    audio.map((a, i) =>
      h(
        'div',
        { class: 'audio-player' },
        h('p', { class: 'muted', text: t('fb.audioLabel', { n: i + 1 }) }),
        h('audio', { controls: true, preload: 'none', src: url(a), testid: `fb-audio-${a.sha256.slice(0, 12)}` }),
      ),
    ),
    others.map((a) => h('p', null, h('a', { href: url(a), text: `${a.mime} (${a.bytes} B)` }))),
  );
}

function locationCard(c: Ctx): HTMLElement {
  const { f, d } = c;
  const hasPoint = typeof f.lat === 'number' && typeof f.lon === 'number' && Number.isFinite(f.lat) && Number.isFinite(f.lon);
  const place = [f.address, d.village_name, d.commune_name].filter(Boolean).join(', ');
  return h(
    'section',
    { class: 'card', testid: 'fb-location', 'aria-labelledby': 'fb-loc-title' },
    h('h2', { id: 'fb-loc-title', text: t('fb.location') }),
    h('p', { testid: 'fb-place', text: place || '—' }),
    hasPoint
      ? [
          feedbackMap({ testid: 'fb-map', label: t('fb.mapLabel'), lat: f.lat as number, lon: f.lon as number, title: feedbackTitle(f) }),
          h('p', { class: 'hint mono', text: `${(f.lat as number).toFixed(5)}, ${(f.lon as number).toFixed(5)}${f.location_method ? ` · ${locationMethod(f.location_method)}` : ''}` }),
        ]
      : h('p', { class: 'muted', testid: 'fb-no-point', text: t('fb.noPoint') }),
  );
}

function locationMethod(m: string): string {
  const key = `fb.loc.${m}`;
  return hasKey(key) ? t(key) : m;
}

function factsCard(c: Ctx): HTMLElement {
  const { f, d } = c;
  const row = (label: string, value: Node | string | null, testid: string) =>
    value === null || value === '' ? null : [h('dt', { text: label }), h('dd', { testid }, value)];
  const time = (iso: string | null, testid: string) => (iso ? timeEl(iso, testid) : null);
  const due = (iso: string | null, testid: string) => (iso ? h('time', { datetime: iso, testid, text: fmtDeadline(iso) }) : null);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'fb-facts-title' },
    h('h2', { id: 'fb-facts-title', text: t('fb.handling') }),
    h(
      'dl',
      { class: 'facts', testid: 'fb-facts' },
      row(t('fb.fact.tracking'), h('span', { class: 'mono', text: f.tracking_code }), 'fb-tracking'),
      row(t('fb.fact.body'), d.body_name || f.body_unit, 'fb-body'),
      row(t('fb.fact.category'), d.service_name || serviceLabel(f.service_code, c.services), 'fb-category'),
      row(t('fb.fact.commune'), d.commune_name || f.commune_code, 'fb-commune'),
      row(t('fb.fact.village'), d.village_name, 'fb-village'),
      row(t('fb.fact.channel'), channelLabel(f.channel), 'fb-channel'),
      row(t('fb.fact.relayedBy'), f.relayed_by, 'fb-relayed'),
      row(t('fb.fact.submitted'), time(f.submitted_at, 'fb-submitted-at'), 'fb-submitted'),
      row(t('fb.fact.forwardDue'), due(f.forward_due, 'fb-forward-due-at'), 'fb-forward-due'),
      row(t('fb.fact.assigned'), time(f.assigned_at, 'fb-assigned-at'), 'fb-assigned'),
      row(t('fb.fact.answerDue'), due(f.answer_due, 'fb-answer-due-at'), 'fb-answer-due'),
      row(t('fb.fact.expected'), due(d.expected_at, 'fb-expected-at'), 'fb-expected'),
      row(t('fb.fact.answered'), time(f.answered_at, 'fb-answered-at'), 'fb-answered'),
      row(t('fb.fact.closed'), time(f.closed_at, 'fb-closed-at'), 'fb-closed'),
      f.escalation ? row(t('fb.fact.escalation'), String(f.escalation), 'fb-escalation') : null,
      f.rating ? row(t('fb.fact.rating'), `${'★'.repeat(f.rating)}${'☆'.repeat(Math.max(0, 5 - f.rating))}${f.rating_comment ? ` — ${f.rating_comment}` : ''}`, 'fb-rating') : null,
      f.reopen_count ? row(t('fb.fact.reopened'), String(f.reopen_count), 'fb-reopened') : null,
    ),
  );
}

function contactCard(f: Feedback): HTMLElement | null {
  const c = f.contact;
  if (!c || !(c.name || c.phone || c.email)) return null;
  return h(
    'section',
    { class: 'card', testid: 'fb-contact', 'aria-labelledby': 'fb-contact-title' },
    h('h2', { id: 'fb-contact-title', text: t('fb.contact') }),
    h('p', { class: 'hint', text: t('fb.contactPrivate') }),
    h(
      'dl',
      { class: 'facts' },
      c.name ? [h('dt', { text: t('fb.field.contactName') }), h('dd', { testid: 'fb-contact-name', text: c.name })] : null,
      c.phone ? [h('dt', { text: t('fb.field.contactPhone') }), h('dd', null, h('a', { href: `tel:${c.phone.replace(/[^\d+]/g, '')}`, testid: 'fb-contact-phone', text: c.phone }))] : null,
      c.email ? [h('dt', { text: t('fb.field.contactEmail') }), h('dd', null, h('a', { href: `mailto:${c.email}`, testid: 'fb-contact-email', text: c.email }))] : null,
    ),
  );
}

// ---- history ----------------------------------------------------------------------------------

function str(v: unknown): string {
  return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function eventDetail(e: FeedbackEvent, services: FeedbackService[]): (Node | string)[] {
  const d = e.detail ?? {};
  const out: (Node | string)[] = [];
  switch (e.kind) {
    case 'received':
      if (d.channel) out.push(t('fb.ev.channel', { channel: channelLabel(str(d.channel)) }));
      break;
    case 'assigned':
      if (d.body) out.push(str(d.body));
      if (d.answer_due) out.push(t('fb.ev.due', { when: fmtDeadline(msToIso(toMs(d.answer_due as string | number))) }));
      break;
    case 'transferred':
      out.push(`${str(d.from)} → ${str(d.to)}`);
      if (d.note) out.push(str(d.note));
      break;
    case 'moved':
      out.push(`→ ${str(d.to_name || d.to)}`);
      break;
    case 'recategorised':
      out.push(`${serviceLabel(str(d.from), services)} → ${serviceLabel(str(d.to), services)}`);
      break;
    case 'merged':
      out.push(h('a', { href: feedbackHref(Number(d.into)), text: `→ #${str(d.into)}` }));
      break;
    case 'duplicate_merged':
      out.push(h('a', { href: feedbackHref(Number(d.from)), text: `← #${str(d.from)}` }));
      break;
    case 'bulletin_made':
      out.push(h('a', { href: bulletinHref(Number(d.bulletin)), text: t('fb.answer.bulletinLink', { id: str(d.bulletin) }) }));
      break;
    case 'answered':
      break; // the published text is in the answer card
    default:
      for (const key of ['reason', 'text', 'comment', 'stars', 'to'] as const) {
        if (d[key] !== undefined && d[key] !== '') out.push(str(d[key]));
      }
  }
  return out;
}

function historyCard(events: FeedbackEvent[], services: FeedbackService[]): HTMLElement {
  const sorted = [...events].sort((a, b) => toMs(a.ts) - toMs(b.ts) || a.id - b.id);
  return h(
    'section',
    { class: 'card timeline-card', 'aria-labelledby': 'fb-hist-title' },
    h('h2', { id: 'fb-hist-title', text: t('fb.history') }),
    sorted.length
      ? h(
          'ol',
          { class: 'timeline fb-history', testid: 'fb-history' },
          sorted.map((e) => {
            const detail = eventDetail(e, services);
            return h(
              'li',
              {
                class: `tl-step done${e.kind === 'rejected' || e.kind === 'answer_returned' || e.kind === 'escalated' ? ' returned' : ''}`,
                testid: `fb-event-${e.id}`,
                'data-kind': e.kind,
                'data-public': String(e.public),
              },
              h('span', { class: 'tl-label', text: eventLabel(e.kind) }),
              h(
                'span',
                { class: 'fb-ev-meta' },
                h('time', { datetime: msToIso(toMs(e.ts)) ?? undefined, text: fmtTime(msToIso(toMs(e.ts))) }),
                e.actor ? ` · ${actorLabel(e.actor)}` : '',
                ' ',
                h('span', { class: e.public ? 'badge badge-ok fb-public' : 'badge fb-internal', text: e.public ? t('fb.ev.public') : t('fb.ev.internal') }),
              ),
              detail.length ? h('span', { class: 'fb-ev-detail' }, detail.flatMap((x, i) => (i ? [' · ', x] : [x]))) : null,
            );
          }),
        )
      : h('p', { class: 'muted', text: t('fb.noHistory') }),
  );
}

function actorLabel(actor: string): string {
  if (actor === 'citizen') return t('fb.actor.citizen');
  if (actor === 'system') return t('fb.actor.system');
  return actor;
}
