// Bulletin media in the console against the real server: images for electronic boards (a PNG
// built here with zlib becomes a thumbnail served as image/png; GIF, non-images, truncated and
// oversized images are refused with precise messages; the 20-image limit; removal; read-only
// thumbnails for an approver) and recording in the browser (Chromium's fake microphone, ~2 s,
// played back locally, uploaded as a 16-bit PCM WAV and stored as the bulletin's audio; a
// refused microphone permission is explained).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { FAKE_MEDIA_ARGS, firstLogin, launchBrowser, login, newPage, pageWatch, screenshotPath, startServer } from './harness.mjs';

const NEW_PW = 'Mat-khau-moi-2026!';
const TITLE = 'Lịch cắt điện tuần này';

// ---- PNG bytes (signature, IHDR, IDAT, IEND), no image library needed ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function ihdr(width, height) {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = 8; // bit depth
  h[9] = 2; // RGB
  return chunk('IHDR', h);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A width × height RGB PNG: a gradient tinted by `seed` (different seeds, different bytes). */
function png(width, height, seed = 0) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = (x * 4 + seed * 37) & 0xff;
      raw[row + 2 + x * 3] = (y * 5 + seed * 11) & 0xff;
      raw[row + 3 + x * 3] = (160 + seed * 53) & 0xff;
    }
  }
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// A 1 × 1 GIF.
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

async function csrf(page) {
  const res = await page.request.get('/api/v1/auth/me');
  assert.equal(res.status(), 200);
  return (await res.json()).csrf_token;
}

async function bulletinJson(page, id) {
  const res = await page.request.get(`/api/v1/bulletins/${id}`);
  assert.equal(res.status(), 200);
  return res.json();
}

describe('web console: bulletin images and recording', { timeout: 300_000 }, () => {
  let server;
  let browser;
  const users = {};
  const pages = {};
  const { cspViolations, watch } = pageWatch();
  let bulletinId = 0;
  const PNG = png(64, 48);

  before(async () => {
    server = await startServer();
    browser = await launchBrowser({ args: FAKE_MEDIA_ARGS });
    users.editor = await server.createUser({ username: 'bientap.media', name: 'Biên tập Media', unit: '14797', roles: ['editor@14797'] });
    users.approver = await server.createUser({ username: 'duyet.media', name: 'Duyệt Media', unit: '14797', roles: ['approver@14797'] });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const open = async (key, { first = true, init = null } = {}) => {
    const p = await newPage(browser, server.baseURL);
    if (init) await p.page.addInitScript(init);
    watch(p.page, server.baseURL, key);
    if (first) await firstLogin(p.page, users[key].username, users[key].password, NEW_PW);
    else await login(p.page, users[key].username, NEW_PW);
    return p;
  };

  test('the editor writes a draft; the images card offers “Thêm ảnh” for PNG, JPEG, WebP', async () => {
    pages.editor = await open('editor');
    const { page } = pages.editor;
    await page.getByTestId('nav-bulletins').click();
    await page.getByTestId('bulletin-new').click();
    await page.getByTestId('bulletin-editor').waitFor();
    await page.getByTestId('ed-title').fill(TITLE);
    await page.getByTestId('ed-body').fill('Điện lực thông báo lịch cắt điện để bảo dưỡng đường dây.');
    await page.getByTestId('ed-category').selectOption('society');
    await page.getByTestId('ed-save').click();
    await page.getByTestId('detail-title').filter({ hasText: TITLE }).waitFor();
    bulletinId = Number(await page.getByTestId('bulletin-detail').getAttribute('data-id'));
    assert.ok(bulletinId > 0);

    const card = page.getByTestId('images-card');
    await card.waitFor();
    assert.equal(await card.locator('h2').textContent(), 'Ảnh cho bảng điện tử');
    assert.equal(await page.getByTestId('images-none').textContent(), 'Chưa có ảnh.');
    assert.equal(await page.getByTestId('images-count').textContent(), '0/20 ảnh');
    assert.equal(await page.getByTestId('images-file').getAttribute('accept'), 'image/png,image/jpeg,image/webp');
    assert.match(await page.getByTestId('images-add').textContent(), /Thêm ảnh/);
    assert.deepEqual((await bulletinJson(page, bulletinId)).images, []);
  });

  test('a PNG becomes a thumbnail whose URL answers 200 image/png', async () => {
    const { page } = pages.editor;
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/v1/bulletins/${bulletinId}/images`));
    await page.getByTestId('images-file').setInputFiles({ name: 'lich-cat-dien.png', mimeType: 'image/png', buffer: PNG });
    const req = await sent;
    assert.equal(req.headers()['content-type'], 'image/png');
    assert.ok(req.headers()['x-csrf-token'], 'the upload carries the CSRF token');
    await page.getByTestId('images-msg').filter({ hasText: 'Đã thêm ảnh.' }).waitFor();

    const thumb = page.getByTestId('image-thumb-1');
    await thumb.waitFor();
    assert.equal(await thumb.getAttribute('alt'), `${TITLE} — ảnh 1`);
    const src = await thumb.getAttribute('src');
    assert.match(src, /^\/api\/v1\/media\/[0-9a-f]{64}$/);
    await page.waitForFunction(() => {
      const img = document.querySelector('[data-testid="image-thumb-1"]');
      return img && img.complete && img.naturalWidth === 64 && img.naturalHeight === 48;
    });
    const res = await page.request.get(src);
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['content-type'], 'image/png');
    assert.ok(Buffer.from(await res.body()).equals(PNG), 'the stored image is the uploaded bytes');
    assert.equal(await page.getByTestId('images-count').textContent(), '1/20 ảnh');

    const b = await bulletinJson(page, bulletinId);
    assert.equal(b.images.length, 1);
    assert.equal(b.images[0].url, src);
    assert.equal(await page.getByTestId('image-item-1').getAttribute('data-media-id'), b.images[0].media_id);
    await page.getByTestId('images-card').screenshot({ path: screenshotPath('bulletin-images.png') });
  });

  test('refused images are explained precisely (GIF, not an image, truncated, too large)', async () => {
    const { page } = pages.editor;
    const msg = page.getByTestId('images-msg');
    const upload = async (file, text, code) => {
      await page.getByTestId('images-file').setInputFiles(file);
      await msg.filter({ hasText: text }).waitFor();
      assert.equal(await msg.getAttribute('role'), 'alert');
      if (code) assert.equal(await msg.getAttribute('data-code'), code);
    };
    await upload({ name: 'bang-tin.gif', mimeType: 'image/gif', buffer: GIF }, 'bang-tin.gif: Định dạng ảnh không được hỗ trợ (GIF, SVG, BMP…): dùng PNG, JPEG hoặc WebP.', 'unsupported_image');
    await upload({ name: 'ghi-chu.png', mimeType: 'image/png', buffer: Buffer.from('đây không phải là ảnh') }, 'Tệp không phải là ảnh PNG, JPEG hoặc WebP hợp lệ.', 'not_image');
    await upload({ name: 'cut.png', mimeType: 'image/png', buffer: PNG.subarray(0, PNG.length - 12) }, 'Tệp ảnh bị cắt cụt hoặc hỏng.', 'truncated_image');
    // A header declaring 20000 × 20000 pixels: refused by the server with 413.
    const huge = Buffer.concat([PNG_SIGNATURE, ihdr(20000, 20000), chunk('IEND', Buffer.alloc(0))]);
    await upload({ name: 'khong-lo.png', mimeType: 'image/png', buffer: huge }, 'Ảnh quá lớn: tối đa 10 MB và 10000 × 10000 điểm ảnh.', 'image_too_large');
    // Over 10 MB: refused before sending.
    let posted = 0;
    const count = (r) => {
      if (r.method() === 'POST' && r.url().includes('/images')) posted += 1;
    };
    page.on('request', count);
    await page.getByTestId('images-file').setInputFiles({ name: 'to.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc((10 << 20) + 1) });
    await msg.filter({ hasText: 'to.jpg: Ảnh quá lớn' }).waitFor();
    page.off('request', count);
    assert.equal(posted, 0, 'a file over 10 MB is not uploaded');
    assert.equal(await page.getByTestId('image-list').locator('li.image-item').count(), 1);
    assert.equal((await bulletinJson(page, bulletinId)).images.length, 1);
  });

  test('the 20-image limit: a refused 21st image (409) is explained and the list catches up', async () => {
    const { page } = pages.editor;
    const token = await csrf(page);
    // Another editor (here: the API) fills the bulletin up behind the page's back.
    for (let i = 1; i <= 19; i++) {
      const res = await page.request.post(`/api/v1/bulletins/${bulletinId}/images`, {
        headers: { 'Content-Type': 'image/png', 'X-CSRF-Token': token },
        data: png(8, 8, i),
      });
      assert.equal(res.status(), 201, await res.text());
    }
    assert.equal(await page.getByTestId('images-count').textContent(), '1/20 ảnh');
    await page.getByTestId('images-file').setInputFiles({ name: 'anh-21.png', mimeType: 'image/png', buffer: png(8, 8, 21) });
    const msg = page.getByTestId('images-msg');
    await msg.filter({ hasText: 'anh-21.png: Bản tin đã có đủ 20 ảnh (tối đa)' }).waitFor();
    assert.equal(await msg.getAttribute('data-code'), 'too_many_images');
    await page.getByTestId('image-item-20').waitFor();
    assert.match(await page.getByTestId('images-count').textContent(), /^20\/20 ảnh — Đã đủ 20 ảnh/);
    assert.equal(await page.getByTestId('images-file').isDisabled(), true);

    // Back to the one PNG: the 19 extra images go through the API.
    const b = await bulletinJson(page, bulletinId);
    for (const img of b.images.slice(1)) {
      const res = await page.request.delete(`/api/v1/bulletins/${bulletinId}/images/${img.media_id}`, { headers: { 'X-CSRF-Token': token } });
      assert.equal(res.status(), 200);
    }
    await page.reload();
    await page.getByTestId('image-item-1').waitFor();
    assert.equal(await page.getByTestId('image-list').locator('li.image-item').count(), 1);
    assert.equal(await page.getByTestId('images-file').isDisabled(), false);
  });

  test('an approver of the unit sees read-only thumbnails', async () => {
    pages.approver = await open('approver');
    const { page } = pages.approver;
    await page.goto(`/#/bulletins/${bulletinId}`);
    const thumb = page.getByTestId('image-thumb-1');
    await thumb.waitFor();
    assert.equal(await thumb.getAttribute('alt'), `${TITLE} — ảnh 1`);
    await page.waitForFunction(() => document.querySelector('[data-testid="image-thumb-1"]')?.naturalWidth === 64);
    assert.equal(await page.getByTestId('image-remove-1').count(), 0);
    assert.equal(await page.getByTestId('images-file').count(), 0);
    assert.equal(await page.getByTestId('recorder').count(), 0, 'no recorder for a non-editor');
  });

  test('recording: the fake microphone is recorded ~2 s, played back, and used as the bulletin audio', async () => {
    const { page } = pages.editor;
    const rec = page.getByTestId('recorder');
    await rec.waitFor();
    assert.equal(await rec.locator('h3').textContent(), 'Ghi âm');
    assert.equal(await page.getByTestId('audio-none').count(), 1);
    await page.getByTestId('record-start').click();
    await page.getByTestId('record-live').waitFor();
    assert.equal(await rec.getAttribute('data-state'), 'recording');
    assert.equal(await page.getByTestId('synth-submit').isDisabled(), true, 'synthesis waits while recording');
    const live = page.getByTestId('record-live');
    const engine = await live.getAttribute('data-engine');
    const rate = Number(await live.getAttribute('data-rate'));
    assert.equal(engine, 'worklet', 'the AudioWorklet module loads (bundled, same origin)');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="record-elapsed"]')?.getAttribute('data-seconds')) >= 1.2);
    await page.getByTestId('recorder').screenshot({ path: screenshotPath('bulletin-recording.png') });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="record-elapsed"]')?.getAttribute('data-seconds')) >= 2.0);
    assert.match(await page.getByTestId('record-elapsed').textContent(), /^0:0[2-3] \/ tối đa \d+:\d\d$/);
    const peak = Number(await page.getByTestId('record-level').getAttribute('data-peak'));
    assert.ok(peak > 0.01, `the level meter saw the fake microphone's tone (peak ${peak})`);
    await page.getByTestId('record-stop').click();

    const ready = page.getByTestId('record-ready');
    await ready.waitFor();
    const seconds = Number(await ready.getAttribute('data-seconds'));
    assert.ok(seconds >= 1.9 && seconds <= 3.5, `recorded ${seconds} s`);
    assert.equal(Number(await ready.getAttribute('data-rate')), rate);
    assert.match(await ready.textContent(), /^Bản ghi dài 0:0\d/);
    assert.equal(await page.getByTestId('synth-submit').isDisabled(), false);

    // Local playback (Web Audio; no blob: media, which the CSP forbids).
    await page.getByTestId('record-play').click();
    await page.getByTestId('record-play').and(page.locator('[data-playing="true"]')).waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="record-position"]')?.getAttribute('data-seconds')) > 0.3);
    await page.getByTestId('record-play').click();
    await page.getByTestId('record-play').and(page.locator('[data-playing="false"]')).waitFor();
    assert.match(await page.getByTestId('record-play').textContent(), /Nghe lại/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('record-download').click()]);
    assert.match(download.suggestedFilename(), new RegExp(`^ban-tin-${bulletinId}-ghi-am-.*\\.wav$`));
    const saved = await readFile(await download.path());
    assert.equal(saved.toString('latin1', 0, 4), 'RIFF');
    assert.ok(Math.abs((saved.length - 44) / 2 / rate - seconds) < 0.01, 'the downloaded WAV is the recording');
    await page.getByTestId('recorder').screenshot({ path: screenshotPath('bulletin-recorded.png') });

    // CDP does not report a Blob request body: keep a copy of the uploaded bytes in the page.
    await page.evaluate(() => {
      const original = window.fetch;
      window.fetch = async (input, init) => {
        if (init?.method === 'PUT' && String(input).endsWith('/audio') && init.body instanceof Blob) {
          window.__uploaded = Array.from(new Uint8Array(await init.body.arrayBuffer()));
        }
        return original(input, init);
      };
    });
    const sent = page.waitForRequest((r) => r.method() === 'PUT' && r.url().endsWith(`/api/v1/bulletins/${bulletinId}/audio`));
    await page.getByTestId('record-use').click();
    const req = await sent;
    assert.equal(req.headers()['content-type'], 'audio/wav');
    const wav = Buffer.from(await page.evaluate(() => window.__uploaded));
    assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
    assert.equal(wav.toString('latin1', 8, 16), 'WAVEfmt ');
    assert.equal(wav.readUInt16LE(20), 1, 'PCM');
    assert.equal(wav.readUInt16LE(22), 1, 'mono');
    assert.equal(wav.readUInt32LE(24), rate, 'at the AudioContext rate');
    assert.equal(wav.readUInt16LE(34), 16, '16-bit');
    assert.equal(wav.toString('latin1', 36, 40), 'data');
    assert.equal(wav.readUInt32LE(40), wav.length - 44);
    assert.equal(wav.readUInt32LE(4), wav.length - 8);
    assert.ok(Math.abs((wav.length - 44) / 2 / rate - seconds) < 0.01);

    await page.getByTestId('audio-msg').filter({ hasText: 'Đã dùng bản ghi âm làm âm thanh của bản tin.' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('audio-player').waitFor();
    assert.match(await page.getByTestId('audio-origin').textContent(), /tệp tải lên/);
    const shown = Number(await page.getByTestId('audio-duration').getAttribute('data-seconds'));
    const b = await bulletinJson(page, bulletinId);
    assert.equal(b.audio.origin, 'upload');
    assert.ok(b.audio.seconds >= 1.5 && b.audio.seconds <= 4, `bulletin audio lasts ${b.audio.seconds} s`);
    assert.equal(shown, b.audio.seconds);
    assert.equal(await page.getByTestId('recorder').getAttribute('data-state'), 'idle');
    await page.screenshot({ path: screenshotPath('bulletin-detail-media.png'), fullPage: true });
  });

  test('a refused microphone permission is explained (Vietnamese and English)', async () => {
    const p = await open('editor', {
      first: false,
      init: () => {
        navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
      },
    });
    pages.denied = p;
    const { page } = p;
    await page.goto(`/#/bulletins/${bulletinId}`);
    await page.getByTestId('record-start').click();
    const msg = page.getByTestId('record-msg');
    await msg.filter({ hasText: 'Trình duyệt không cho phép dùng micrô.' }).waitFor();
    assert.equal(await msg.getAttribute('data-code'), 'denied');
    assert.equal(await msg.getAttribute('role'), 'alert');
    assert.equal(await page.getByTestId('record-start').isDisabled(), false, 'the user can try again');
    assert.equal(await page.getByTestId('recorder').getAttribute('data-state'), 'idle');

    await page.getByTestId('lang-en').click();
    await page.getByTestId('recorder').locator('h3').filter({ hasText: 'Record' }).waitFor();
    assert.equal(await page.getByTestId('images-card').locator('h2').textContent(), 'Images for electronic boards');
    assert.equal(await page.getByTestId('image-thumb-1').getAttribute('alt'), `${TITLE} — image 1`);
    assert.match(await page.getByTestId('images-add').textContent(), /Add image/);
    await page.getByTestId('record-start').click();
    await page.getByTestId('record-msg').filter({ hasText: 'The browser may not use the microphone.' }).waitFor();
    await page.getByTestId('lang-vi').click();
  });

  test('without AudioWorklet the recorder falls back to a ScriptProcessorNode', async () => {
    const p = await open('editor', {
      first: false,
      init: () => {
        Object.defineProperty(BaseAudioContext.prototype, 'audioWorklet', { get: () => undefined });
      },
    });
    pages.fallback = p;
    const { page } = p;
    await page.goto(`/#/bulletins/${bulletinId}`);
    await page.getByTestId('record-start').click();
    const live = page.getByTestId('record-live');
    await live.waitFor();
    assert.equal(await live.getAttribute('data-engine'), 'script-processor');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="record-elapsed"]')?.getAttribute('data-seconds')) >= 1.0);
    await page.getByTestId('record-stop').click();
    const ready = page.getByTestId('record-ready');
    await ready.waitFor();
    const seconds = Number(await ready.getAttribute('data-seconds'));
    assert.ok(seconds >= 0.9 && seconds <= 2.5, `recorded ${seconds} s`);
    await page.getByTestId('record-discard').click();
    await page.getByTestId('record-start').waitFor();
    assert.equal(await page.getByTestId('recorder').getAttribute('data-state'), 'idle');

    // Leaving the page while recording releases the microphone.
    await page.getByTestId('record-start').click();
    await page.getByTestId('record-live').waitFor();
    await page.evaluate(() => {
      window.__stopped = 0;
      const stop = MediaStreamTrack.prototype.stop;
      MediaStreamTrack.prototype.stop = function () {
        window.__stopped += 1;
        return stop.call(this);
      };
    });
    await page.getByTestId('nav-bulletins').click();
    await page.waitForFunction(() => window.__stopped > 0);
    await p.context.close();
  });

  test('images and recorder fit a phone screen', async () => {
    const phone = await newPage(browser, server.baseURL, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    pages.phone = phone;
    const { page } = phone;
    await login(page, users.editor.username, NEW_PW);
    await page.goto(`/#/bulletins/${bulletinId}`);
    await page.getByTestId('image-thumb-1').waitFor();
    await page.getByTestId('record-start').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the detail scrolls sideways on a phone');
    await page.getByTestId('images-card').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('bulletin-media-phone.png'), fullPage: false });
  });

  test('removing the image', async () => {
    const { page } = pages.editor;
    await page.getByTestId('image-remove-1').click(); // the confirmation is accepted by the harness
    await page.getByTestId('images-msg').filter({ hasText: 'Đã xoá ảnh.' }).waitFor();
    await page.getByTestId('images-none').waitFor();
    assert.equal(await page.getByTestId('images-count').textContent(), '0/20 ảnh');
    assert.deepEqual((await bulletinJson(page, bulletinId)).images, []);
  });

  test('after submission the editor may no longer change images or audio', async () => {
    const { page } = pages.editor;
    await page.getByTestId('action-submit').click();
    await page.getByTestId('detail-status').and(page.locator('[data-status="submitted"]')).waitFor();
    await page.getByTestId('images-locked').waitFor();
    assert.equal(await page.getByTestId('images-file').count(), 0);
    assert.equal(await page.getByTestId('recorder').count(), 0);
  });

  test('no uncaught errors and no CSP violations', () => {
    for (const [key, p] of Object.entries(pages)) assert.deepEqual(p.errors, [], `page errors for ${key}`);
    assert.deepEqual(cspViolations, []);
  });
});
