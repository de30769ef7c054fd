// Bulletin settings of a unit, for its administrators: the four-eyes rule and the signature
// tunes (intro/outro) played around every bulletin.

import { api } from '../api';
import { busy, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import type { Unit } from '../types';
import { spinner } from './bulletinBits';

export function unitSettingsPanel(u: Unit): HTMLElement {
  const msg = messageBox('settings-msg');
  const id = uid('four-eyes');
  const fourEyes = h('input', { type: 'checkbox', id, testid: 'settings-four-eyes', disabled: true });
  const fourEyesRow = h('div', { class: 'check-row' }, fourEyes, h('label', { for: id, text: t('settings.fourEyes') }));

  void api.unitSettings(u.code).then(
    (s) => {
      fourEyes.checked = s.four_eyes;
      fourEyes.disabled = false;
    },
    (err) => msg.error(errorText(err)),
  );
  fourEyes.addEventListener('change', () => {
    msg.clear();
    const want = fourEyes.checked;
    void busy([fourEyes], async () => {
      try {
        const s = await api.setUnitSettings(u.code, { four_eyes: want });
        fourEyes.checked = s.four_eyes;
        msg.success(t('settings.fourEyesSaved'));
      } catch (err) {
        fourEyes.checked = !want;
        msg.error(errorText(err));
      }
    });
  });

  const tuneRow = (which: 'intro' | 'outro') => {
    const label = t(which === 'intro' ? 'settings.intro' : 'settings.outro');
    const fileId = uid('tune');
    const file = h('input', { type: 'file', id: fileId, accept: 'audio/*', testid: `tune-file-${which}` });
    const upload = h('button', { type: 'button', class: 'btn btn-small', testid: `tune-upload-${which}`, text: t('settings.tuneUpload') });
    const remove = h('button', { type: 'button', class: 'btn btn-small btn-danger', testid: `tune-delete-${which}`, text: t('settings.tuneDelete') });
    const player = h('div', { class: 'tune-player', testid: `tune-player-${which}` });
    upload.addEventListener('click', () => {
      msg.clear();
      const f = file.files?.[0];
      if (!f) {
        file.focus();
        msg.error(t('audio.fileRequired'));
        return;
      }
      replace(player, spinner(t('audio.uploading')));
      void busy([file, upload, remove], async () => {
        try {
          const res = await api.uploadSignatureTune(u.code, which, f);
          replace(player, res.url ? h('audio', { controls: true, preload: 'metadata', src: res.url, 'aria-label': label }) : null);
          msg.success(t('settings.tuneUploaded', { which: label }));
          file.value = '';
        } catch (err) {
          replace(player);
          msg.error(errorText(err));
        }
      });
    });
    remove.addEventListener('click', () => {
      msg.clear();
      if (!window.confirm(t('settings.confirmDelete', { which: label.toLocaleLowerCase() }))) return;
      void busy([file, upload, remove], async () => {
        try {
          await api.deleteSignatureTune(u.code, which);
          replace(player);
          msg.success(t('settings.tuneDeleted', { which: label }));
        } catch (err) {
          msg.error(errorText(err));
        }
      });
    });
    return h(
      'div',
      { class: 'tune-row', testid: `tune-${which}` },
      h('label', { for: fileId, class: 'tune-label', text: label }),
      h('div', { class: 'inline-form' }, file, upload, remove),
      player,
    );
  };

  return h(
    'section',
    { class: 'unit-settings', testid: 'unit-settings', 'aria-labelledby': 'settings-title' },
    h('h3', { id: 'settings-title', text: t('settings.title') }),
    fourEyesRow,
    h('h4', { text: t('settings.tunes') }),
    h('p', { class: 'hint', text: `${t('settings.tunesHint')} ${t('settings.tuneUnknown')}` }),
    tuneRow('intro'),
    tuneRow('outro'),
    msg.el,
  );
}
