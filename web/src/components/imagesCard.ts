// Images of a bulletin for electronic boards: thumbnails for everyone who can read the bulletin;
// an editor of the owner unit adds (PNG, JPEG, WebP, judged by content on the server) and removes
// them while the bulletin is a draft or returned. The card updates itself in place (no re-render
// of the whole detail), so a recording in progress in the audio card is not disturbed.

import { api, ApiError } from '../api';
import { state } from '../app';
import { busy, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import type { Bulletin, BulletinImage } from '../types';
import { spinner } from './bulletinBits';

/** Server limits (core/images.h, core/bulletin_media.h). */
export const MAX_IMAGES = 20;
export const MAX_IMAGE_BYTES = 10 << 20;
const ACCEPT = 'image/png,image/jpeg,image/webp';

/** An upload error as a sentence; any 413 (the HTTP layer's body_too_large too) is "too large". */
export function imageErrorText(err: unknown): string {
  if (err instanceof ApiError && err.status === 413) return t('err.image_too_large');
  return errorText(err);
}

/**
 * The images card, or null when there is nothing to show (no images and the user may not add
 * any). `canEdit`: the user is an editor of the owner unit.
 */
export function imagesCard(b: Bulletin, canEdit: boolean): HTMLElement | null {
  let images: BulletinImage[] = b.images ?? [];
  const title = b.title || t('bulletins.noTitle');
  const statusOk = b.status === 'draft' || b.status === 'returned';
  const mediaOn = state.meta?.audio !== false;
  const editable = canEdit && statusOk && mediaOn;
  if (!images.length && !canEdit) return null;

  const msg = messageBox('images-msg');
  const list = h('ul', { class: 'image-grid', testid: 'image-list' });
  const count = h('p', { class: 'hint', testid: 'images-count', 'aria-live': 'polite' });
  const busyBox = h('div', { class: 'busy-box' });
  const removeButtons: HTMLButtonElement[] = [];

  const inputId = uid('images');
  const hintId = uid('hint');
  const input = h('input', {
    type: 'file',
    id: inputId,
    accept: ACCEPT,
    multiple: true,
    testid: 'images-file',
    class: 'visually-hidden-file',
    'aria-describedby': hintId,
  });
  // The label is the visible button; the native input stays focusable (keyboard, screen readers).
  const addLabel = h('label', { for: inputId, class: 'btn file-btn', testid: 'images-add', text: `+ ${t('images.add')}` });
  const addRow = h('div', { class: 'images-add' }, input, addLabel, h('p', { class: 'hint', id: hintId, text: t('images.hint', { max: MAX_IMAGES }) }));

  const controls = (): (HTMLInputElement | HTMLButtonElement)[] => [input, ...removeButtons];
  const setFull = () => {
    const full = images.length >= MAX_IMAGES;
    input.disabled = full;
    addLabel.classList.toggle('is-disabled', full);
    addLabel.setAttribute('aria-disabled', String(full));
    count.textContent = full ? `${t('images.count', { count: images.length, max: MAX_IMAGES })} — ${t('images.full', { max: MAX_IMAGES })}` : t('images.count', { count: images.length, max: MAX_IMAGES });
  };

  const renderList = () => {
    removeButtons.length = 0;
    if (!images.length) {
      replace(list, h('li', { class: 'muted image-none', testid: 'images-none', text: t('images.none') }));
    } else {
      replace(
        list,
        images.map((img, i) => {
          const n = i + 1;
          let remove: HTMLButtonElement | null = null;
          if (editable) {
            remove = h('button', {
              type: 'button',
              class: 'btn btn-small btn-danger',
              testid: `image-remove-${n}`,
              'data-media-id': img.media_id,
              'aria-label': t('images.removeLabel', { n }),
              text: t('images.remove'),
            });
            const btn = remove;
            btn.addEventListener('click', () => void removeImage(img, n, btn));
            removeButtons.push(remove);
          }
          return h(
            'li',
            { class: 'image-item', testid: `image-item-${n}`, 'data-media-id': img.media_id },
            h(
              'figure',
              null,
              h(
                'a',
                { href: img.url, target: '_blank', rel: 'noopener', class: 'image-link', 'aria-label': t('images.open', { n }) },
                h('img', { src: img.url, alt: t('images.alt', { title, n }), loading: 'lazy', decoding: 'async', testid: `image-thumb-${n}` }),
              ),
              h('figcaption', null, h('span', { text: t('images.caption', { n }) }), remove),
            ),
          );
        }),
      );
    }
    if (editable) setFull();
  };

  const apply = (next: Bulletin) => {
    images = next.images ?? [];
    renderList();
  };

  /** After a refusal the list may be stale (another editor); fetch the current one quietly. */
  const refresh = async () => {
    try {
      apply(await api.bulletin(b.id));
    } catch {
      /* keep what is shown */
    }
  };

  const upload = async (files: File[]) => {
    msg.clear();
    let added = 0;
    let duplicate = false;
    for (const f of files) {
      if (f.size > MAX_IMAGE_BYTES) {
        msg.error(t('images.fileError', { name: f.name, text: t('err.image_too_large') }));
        break;
      }
      if (images.length >= MAX_IMAGES) {
        msg.error(t('images.fileError', { name: f.name, text: t('err.too_many_images') }));
        break;
      }
      try {
        const before = images.length;
        const next = await api.addImage(b.id, f);
        apply(next);
        if (images.length > before) added += 1;
        else duplicate = true;
      } catch (err) {
        msg.error(t('images.fileError', { name: f.name, text: imageErrorText(err) }));
        msg.el.setAttribute('data-code', err instanceof ApiError ? err.code : '');
        if (err instanceof ApiError && err.code === 'too_many_images') await refresh();
        return;
      }
    }
    if (!msg.el.hidden) return;
    if (added > 1) msg.success(t('images.addedMany', { count: added }));
    else if (added === 1) msg.success(t('images.added'));
    else if (duplicate) msg.info(t('images.duplicate'));
  };

  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    if (!files.length) return;
    replace(busyBox, spinner(t('images.uploading'), 'images-busy'));
    void busy(controls(), () => upload(files)).finally(() => {
      replace(busyBox);
      input.value = '';
      if (editable) setFull();
    });
  });

  const removeImage = async (img: BulletinImage, n: number, btn: HTMLButtonElement) => {
    msg.clear();
    if (!window.confirm(t('images.confirmRemove', { n }))) return;
    await busy(
      controls(),
      async () => {
        try {
          apply(await api.removeImage(b.id, img.media_id));
          msg.success(t('images.removed'));
        } catch (err) {
          msg.error(errorText(err));
          msg.el.setAttribute('data-code', err instanceof ApiError ? err.code : '');
        }
      },
      { el: btn, busyText: t('common.busy') },
    );
    if (editable) setFull();
  };

  renderList();
  let footer: HTMLElement | null = null;
  if (editable) footer = h('div', null, count, addRow, busyBox);
  else if (canEdit && !statusOk && b.status !== 'archived') footer = h('p', { class: 'hint', testid: 'images-locked', text: t('images.locked') });
  else if (canEdit && statusOk && !mediaOn) footer = h('p', { class: 'hint', testid: 'images-unavailable', text: t('images.unavailable') });

  return h(
    'section',
    { class: 'card images-card', testid: 'images-card', 'aria-labelledby': 'images-title' },
    h('h2', { id: 'images-title', text: t('images.title') }),
    msg.el,
    list,
    footer,
  );
}
