// CSV import of devices (#/devices/import): pick a file, preview its rows in the browser, upload
// it with a progress bar (XMLHttpRequest upload progress), and show the server's per-row error
// report (row, field, message) when the file is rejected. Nothing is created unless every row is
// valid.

import { ApiBodyError, deviceApi } from '../api';
import { type View } from '../app';
import { canOperate } from '../components/deviceBits';
import { h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import type { ImportRowError } from '../types';

export const CSV_COLUMNS = ['serial', 'imei', 'kind', 'name', 'vendor', 'model', 'firmware', 'commune_code', 'village_code', 'lat', 'lon', 'horns', 'watts'] as const;
const PREVIEW_ROWS = 200;
const MAX_BYTES = 5 * 1024 * 1024;

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF; a leading BOM is dropped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => r.some((c) => c.trim() !== ''));
}

function errorTable(errors: ImportRowError[]): HTMLElement {
  return h(
    'table',
    { class: 'data-table import-errors', testid: 'import-errors' },
    h('caption', { class: 'sr-only', text: t('imp.errorsCaption') }),
    h('thead', null, h('tr', null, [t('imp.col.row'), t('imp.col.field'), t('imp.col.message')].map((c) => h('th', { scope: 'col', text: c })))),
    h(
      'tbody',
      null,
      errors.map((e, i) =>
        h(
          'tr',
          { testid: `import-error-${i}`, 'data-row': String(e.row) },
          h('td', { 'data-label': t('imp.col.row'), testid: `import-error-row-${i}`, text: String(e.row) }),
          h('td', { 'data-label': t('imp.col.field'), class: 'mono', testid: `import-error-field-${i}`, text: e.field || '—' }),
          h('td', { 'data-label': t('imp.col.message'), testid: `import-error-message-${i}`, text: e.message || e.code }),
        ),
      ),
    ),
  );
}

export function devicesImportView(): View {
  const msg = messageBox('import-msg');
  const page = (...children: (Node | null)[]) =>
    h(
      'section',
      { class: 'page device-import-page' },
      h('p', { class: 'back' }, h('a', { href: '#/devices', text: t('dev.back') })),
      h('h1', { text: t('imp.title') }),
      ...children,
    );
  if (!canOperate()) {
    msg.error(t('err.forbidden'));
    return { el: page(msg.el) };
  }
  const inputId = uid('csv');
  const file = h('input', { type: 'file', id: inputId, accept: '.csv,text/csv', testid: 'import-file', 'aria-describedby': `${inputId}-hint` });
  const preview = h('div', { class: 'import-preview', 'aria-live': 'polite', testid: 'import-preview' });
  const upload = h('button', { type: 'button', class: 'btn btn-primary', testid: 'import-upload', text: t('imp.upload'), disabled: true });
  const progress = h('progress', { max: '100', value: '0', testid: 'import-progress', 'aria-label': t('imp.progress'), hidden: true });
  const progressText = h('span', { class: 'hint', 'aria-live': 'polite', testid: 'import-progress-text' });
  const report = h('div', { class: 'import-report', testid: 'import-report' });
  let csv = '';

  file.addEventListener('change', () => {
    msg.clear();
    replace(report);
    replace(preview);
    upload.disabled = true;
    csv = '';
    const f = file.files?.[0];
    if (!f) return;
    if (f.size > MAX_BYTES) {
      msg.error(t('imp.tooLarge'));
      return;
    }
    void f.text().then(
      (text) => {
        csv = text;
        const rows = parseCsv(text);
        const header = (rows[0] ?? []).map((c) => c.trim().toLowerCase());
        const missing = CSV_COLUMNS.filter((c) => !header.includes(c));
        const unknown = header.filter((c) => c && !(CSV_COLUMNS as readonly string[]).includes(c));
        const data = rows.slice(1);
        const warn: Node[] = [];
        if (!rows.length) warn.push(h('p', { class: 'msg msg-warn', testid: 'import-empty', text: t('imp.empty') }));
        if (missing.length) warn.push(h('p', { class: 'msg msg-warn', testid: 'import-missing', text: t('imp.missing', { cols: missing.join(', ') }) }));
        if (unknown.length) warn.push(h('p', { class: 'msg msg-warn', text: t('imp.unknown', { cols: unknown.join(', ') }) }));
        const shown = data.slice(0, PREVIEW_ROWS);
        replace(
          preview,
          h('p', { testid: 'import-count', text: t('imp.count', { n: data.length, name: f.name }) }),
          warn,
          data.length
            ? h(
                'div',
                { class: 'table-wrap preview-wrap' },
                h(
                  'table',
                  { class: 'preview-table', testid: 'import-preview-table' },
                  h('caption', { class: 'sr-only', text: t('imp.previewCaption') }),
                  h('thead', null, h('tr', null, h('th', { scope: 'col', text: t('imp.col.row') }), header.map((c) => h('th', { scope: 'col', text: c })))),
                  h(
                    'tbody',
                    null,
                    // Data rows numbered from 1 (the header is not counted), like the server's report.
                    shown.map((r, i) =>
                      h(
                        'tr',
                        { testid: `import-preview-row-${i + 1}`, 'data-line': String(i + 1) },
                        h('td', { text: String(i + 1) }),
                        header.map((_, j) => h('td', { text: r[j] ?? '' })),
                      ),
                    ),
                  ),
                ),
              )
            : null,
          data.length > PREVIEW_ROWS ? h('p', { class: 'hint', text: t('imp.more', { n: data.length - PREVIEW_ROWS }) }) : null,
        );
        upload.disabled = data.length === 0;
      },
      (err: unknown) => msg.error(errorText(err)),
    );
  });

  upload.addEventListener('click', () => {
    if (!csv) return;
    msg.clear();
    replace(report);
    upload.disabled = true;
    file.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    progressText.textContent = t('imp.uploading', { pct: 0 });
    deviceApi
      .importCsv(csv, (frac) => {
        const pct = Math.round(frac * 100);
        progress.value = pct;
        progressText.textContent = frac >= 1 ? t('imp.checking') : t('imp.uploading', { pct });
      })
      .then(
        (res) => {
          progress.value = 100;
          progressText.textContent = '';
          replace(report, h('p', { class: 'msg msg-success', role: 'status', testid: 'import-done', text: t('imp.done', { n: res.created }) }), h('p', null, h('a', { href: '#/devices', text: t('imp.toList') })));
        },
        (err: unknown) => {
          progress.hidden = true;
          progressText.textContent = '';
          const errors = err instanceof ApiBodyError ? ((err.body as { errors?: ImportRowError[] } | null)?.errors ?? []) : [];
          if (errors.length) {
            const bad = new Set(errors.map((e) => String(e.row)));
            for (const tr of preview.querySelectorAll<HTMLTableRowElement>('tr[data-line]')) tr.classList.toggle('has-error', bad.has(tr.dataset.line ?? ''));
            replace(
              report,
              h('p', { class: 'msg msg-error', role: 'alert', testid: 'import-rejected', text: t('imp.rejected', { n: errors.length }) }),
              h('div', { class: 'table-wrap' }, errorTable(errors)),
            );
          } else msg.error(errorText(err));
          upload.disabled = false;
        },
      )
      .finally(() => {
        file.disabled = false;
      });
  });

  return {
    el: page(
      h(
        'div',
        { class: 'card' },
        h('div', { class: 'field' }, h('label', { for: inputId, text: t('imp.file') }), file, h('p', { class: 'hint import-hint', id: `${inputId}-hint`, text: t('imp.hint', { cols: CSV_COLUMNS.join(',') }) })),
        preview,
        h('div', { class: 'actions' }, upload, progress, progressText),
        msg.el,
        report,
      ),
    ),
  };
}
