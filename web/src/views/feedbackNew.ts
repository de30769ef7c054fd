// Staff entry of a feedback on a citizen's behalf (#/feedback/new): a hotline operator or a
// propagandist types what a citizen reported: category (and its attributes), commune (unit
// picker) and village, address, description, the citizen's contact, and who relayed it.

import { feedbackApi } from '../api';
import { flash, navigate, type View } from '../app';
import { spinner } from '../components/bulletinBits';
import { fbErrorText, loadServices, serviceOptions } from '../components/feedbackBits';
import { attributeFields, villageSelect, type AttributeFields } from '../components/feedbackForm';
import { unitPicker } from '../components/unitPicker';
import { busy, field, h, messageBox, replace, uid } from '../dom';
import { t } from '../i18n';
import type { FeedbackInput, FeedbackService } from '../types';

const MAX_DESCRIPTION = 4000;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function feedbackNewView(): View {
  const msg = messageBox('fbn-msg');
  const body = h('div', null, spinner(t('app.loading')));
  const el = h(
    'section',
    { class: 'page fb-new-page' },
    h('p', { class: 'back' }, h('a', { href: '#/feedback', testid: 'fbn-back', text: t('fb.back') })),
    h('h1', { text: t('fb.new.title') }),
    h('p', { class: 'hint', text: t('fb.new.intro') }),
    msg.el,
    body,
  );

  void loadServices().then(
    (services) => replace(body, buildForm(services, msg)),
    (err: unknown) => {
      replace(body);
      msg.error(fbErrorText(err));
    },
  );
  return { el };
}

function buildForm(services: FeedbackService[], msg: ReturnType<typeof messageBox>): HTMLElement {
  const service = h('select', { testid: 'fbn-service', required: true }, h('option', { value: '', text: t('fb.attr.choose') }), serviceOptions(services));
  const attrBox = h('div');
  let attrs: AttributeFields = attributeFields(null, 'fbn-attr');
  replace(attrBox, attrs.el);
  service.addEventListener('change', () => {
    attrs = attributeFields(services.find((s) => s.code === service.value) ?? null, 'fbn-attr');
    replace(attrBox, attrs.el);
  });
  const commune = unitPicker({
    label: `${t('fb.field.commune')} *`,
    testid: 'fbn-commune',
    filter: (u) => u.level === 'commune',
    hint: t('fb.field.communeHint'),
  });
  const village = villageSelect('fbn-village');
  commune.onChange((u) => void village.load(u?.code ?? null));
  const address = h('input', { type: 'text', testid: 'fbn-address', maxlength: '300', autocomplete: 'off' });
  const title = h('input', { type: 'text', testid: 'fbn-title', maxlength: '200', autocomplete: 'off' });
  const descId = uid('desc');
  const description = h('textarea', { id: descId, testid: 'fbn-description', rows: '6', maxlength: String(MAX_DESCRIPTION), required: true });
  const counter = h('p', { class: 'hint', 'aria-live': 'polite', text: t('fb.field.chars', { n: 0, max: MAX_DESCRIPTION }) });
  description.addEventListener('input', () => {
    counter.textContent = t('fb.field.chars', { n: description.value.length, max: MAX_DESCRIPTION });
  });
  const name = h('input', { type: 'text', testid: 'fbn-contact-name', maxlength: '200', autocomplete: 'off' });
  const phone = h('input', { type: 'tel', testid: 'fbn-contact-phone', maxlength: '30', autocomplete: 'off', inputmode: 'tel' });
  const email = h('input', { type: 'email', testid: 'fbn-contact-email', maxlength: '200', autocomplete: 'off' });
  const relayed = h('input', { type: 'text', testid: 'fbn-relayed-by', maxlength: '200', autocomplete: 'off' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'fbn-submit', text: t('fb.new.submit') });

  const form = h(
    'form',
    { class: 'card fb-form', testid: 'fbn-form', novalidate: true },
    h(
      'fieldset',
      { class: 'plain-fieldset' },
      h('legend', { class: 'fb-legend-h', text: t('fb.new.what') }),
      field(`${t('fb.field.category')} *`, service),
      attrBox,
      field(t('fb.field.title'), title, t('fb.field.titleHint')),
      h('div', { class: 'field' }, h('label', { for: descId, text: `${t('fb.field.description')} *` }), description, counter),
    ),
    h(
      'fieldset',
      { class: 'plain-fieldset' },
      h('legend', { class: 'fb-legend-h', text: t('fb.new.where') }),
      commune.el,
      field(t('fb.field.village'), village.el),
      field(t('fb.field.address'), address),
    ),
    h(
      'fieldset',
      { class: 'plain-fieldset' },
      h('legend', { class: 'fb-legend-h', text: t('fb.new.who') }),
      h('p', { class: 'hint', text: t('fb.new.contactHint') }),
      h('div', { class: 'form-grid' }, field(t('fb.field.contactName'), name), field(t('fb.field.contactPhone'), phone), field(t('fb.field.contactEmail'), email)),
      field(t('fb.field.relayedBy'), relayed, t('fb.field.relayedByHint')),
    ),
    h('div', { class: 'actions' }, submit),
  );

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    if (!service.value) {
      service.focus();
      msg.error(t('fb.err.category'));
      return;
    }
    const a = attrs.values();
    if ('error' in a) {
      a.focus.focus();
      msg.error(a.error);
      return;
    }
    const text = description.value.trim();
    if (!text) {
      description.focus();
      msg.error(t('fb.err.description'));
      return;
    }
    const place = commune.value();
    if (!place) {
      commune.input.focus();
      msg.error(t('fb.err.commune'));
      return;
    }
    if (email.value.trim() && !EMAIL_RE.test(email.value.trim())) {
      email.focus();
      msg.error(t('fb.err.email'));
      return;
    }
    const body: FeedbackInput = { service_code: service.value, description: text, commune_code: place.code };
    const opt = (v: string) => v.trim() || undefined;
    body.title = opt(title.value);
    body.village_code = opt(village.el.value);
    body.address = opt(address.value);
    body.contact_name = opt(name.value);
    body.contact_phone = opt(phone.value);
    body.contact_email = opt(email.value);
    body.relayed_by = opt(relayed.value);
    if (Object.keys(a.values).length) body.attributes = a.values;
    void busy(
      [submit],
      async () => {
        try {
          const created = await feedbackApi.create(body);
          flash(t('fb.new.done', { id: created.id, code: created.tracking_code }));
          navigate(`#/feedback/${created.id}`);
        } catch (err) {
          msg.error(fbErrorText(err));
        }
      },
      { el: submit, busyText: t('common.busy') },
    );
  });
  return form;
}
