// A real SMTP server for the browser tests, in the test process (node:net, no dependency): the
// same dialogue as tests/support/smtp_sink.h. It listens on 127.0.0.1 on an ephemeral port and
// keeps every message it receives: a 220 greeting, EHLO (250-hello, 250 8BITMIME), HELO,
// MAIL FROM, RCPT TO, DATA (354, data up to CRLF.CRLF, dot-stuffing undone), RSET, NOOP, QUIT,
// and 500 for anything else. Several connections at once, several messages each.
//
//   const sink = await startSmtpSink();
//   // configure the server with smtp host 127.0.0.1, port sink.port, tls "none"
//   const [mail] = await sink.waitFor(1, 10_000);
//   assert.equal(mail.to[0], 'dan@example.vn');
//   assert.match(mail.subject, /Trả lời/);  // decoded from RFC 2047
//   await sink.stop();

import { createServer } from 'node:net';

/** The unfolded value of header `name` in the header block of `data`, or null. */
function headerValue(data, name) {
  const end = data.indexOf('\r\n\r\n');
  const head = end < 0 ? data : data.slice(0, end);
  const lines = head.split('\r\n');
  const prefix = name.toLowerCase() + ':';
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].toLowerCase().startsWith(prefix)) continue;
    let value = lines[i].slice(prefix.length);
    for (let j = i + 1; j < lines.length && /^[ \t]/.test(lines[j]); j++) value += lines[j];
    return value.replace(/^[ \t]+/, '');
  }
  return null;
}

function decodeQ(text) {
  const bytes = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '_') {
      bytes.push(0x20);
    } else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Unstructured header text with RFC 2047 encoded-words decoded (charset UTF-8 assumed); the
 * whitespace between two adjacent encoded-words is dropped.
 */
export function decodeWords(value) {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/y;
  let out = '';
  let pendingSpace = '';
  let afterWord = false;
  let i = 0;
  while (i < value.length) {
    word.lastIndex = i;
    const m = word.exec(value);
    if (m) {
      const decoded =
        m[2].toUpperCase() === 'B' ? Buffer.from(m[3], 'base64').toString('utf8') : decodeQ(m[3]);
      if (!afterWord) out += pendingSpace;
      pendingSpace = '';
      out += decoded;
      afterWord = true;
      i = word.lastIndex;
      continue;
    }
    const c = value[i++];
    if (c === ' ' || c === '\t') {
      pendingSpace += c;
      continue;
    }
    out += pendingSpace + c;
    pendingSpace = '';
    afterWord = false;
  }
  return out + pendingSpace;
}

/** The Subject of a message rendered by the server (core/mail.h), decoded ('' when none). */
export function decodedSubject(data) {
  const value = headerValue(data, 'Subject');
  return value === null ? '' : decodeWords(value);
}

/** The text/plain body, base64 decoded, with CRLF line breaks turned back into "\n". */
export function decodedBody(data) {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return '';
  let body = data.slice(end + 4);
  const cte = headerValue(data, 'Content-Transfer-Encoding');
  if (cte !== null && cte.trim().toLowerCase() === 'base64') {
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return body.replace(/\r\n/g, '\n');
}

function angleAddress(arg) {
  const m = /^\s*<([^>]*)>/.exec(arg);
  return m ? m[1] : null;
}

function refusal(code, what) {
  return code >= 500
    ? `${code} 5.7.1 ${what} rejected by the test sink`
    : `${code} 4.3.0 ${what} refused for now, try again later`;
}

/**
 * Starts the sink. Options: rejectMail, rejectRcpt, rejectData: the code answered to MAIL
 * FROM, RCPT TO, or the end of DATA (0, the default, accepts; e.g. 451 or 550); the same can be
 * changed later with setRejectMail/setRejectRcpt/setRejectData.
 * Resolves to { port, messages, waitFor(count, ms), stop(), setReject*() }, where messages is
 * the live array of received messages, each { from, to: [...], data, subject, body } (data as
 * sent after DATA, CRLF line endings; subject and body decoded). waitFor resolves to the
 * messages once there are at least `count`, and rejects after `ms` milliseconds.
 */
export async function startSmtpSink(options = {}) {
  const messages = [];
  const waiters = new Set();
  const sockets = new Set();
  const reject = {
    mail: options.rejectMail ?? 0,
    rcpt: options.rejectRcpt ?? 0,
    data: options.rejectData ?? 0,
  };

  const notify = () => {
    for (const w of waiters) {
      if (messages.length >= w.count) {
        waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(messages);
      }
    }
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    let tx = null; // { from, to: [] } once MAIL FROM was accepted
    let inData = false;
    let dataLines = [];
    const reply = (line) => {
      if (!socket.destroyed) socket.write(line + '\r\n');
    };

    const onLine = (line) => {
      if (inData) {
        if (line !== '.') {
          dataLines.push(line.startsWith('.') ? line.slice(1) : line);
          return;
        }
        inData = false;
        const data = dataLines.map((l) => l + '\r\n').join('');
        dataLines = [];
        const done = tx;
        tx = null;
        if (reject.data !== 0) return reply(refusal(reject.data, 'message'));
        messages.push({
          from: done.from,
          to: done.to,
          data,
          subject: decodedSubject(data),
          body: decodedBody(data),
        });
        reply(`250 2.0.0 ok: queued as ${messages.length}`);
        notify();
        return;
      }
      const upper = line.toUpperCase();
      const verb = upper.split(' ')[0];
      if (verb === 'EHLO') {
        tx = null;
        reply('250-nguon-smtp-sink hello\r\n250 8BITMIME');
      } else if (verb === 'HELO') {
        tx = null;
        reply('250 nguon-smtp-sink');
      } else if (upper.startsWith('MAIL FROM:')) {
        const addr = angleAddress(line.slice(10));
        if (tx) reply('503 5.5.1 nested MAIL command');
        else if (reject.mail !== 0) reply(refusal(reject.mail, 'sender'));
        else if (addr === null) reply('501 5.5.4 syntax: MAIL FROM:<address>');
        else {
          tx = { from: addr, to: [] };
          reply('250 2.1.0 sender ok');
        }
      } else if (upper.startsWith('RCPT TO:')) {
        const addr = angleAddress(line.slice(8));
        if (!tx) reply('503 5.5.1 need MAIL first');
        else if (reject.rcpt !== 0) reply(refusal(reject.rcpt, 'recipient'));
        else if (!addr) reply('501 5.5.4 syntax: RCPT TO:<address>');
        else {
          tx.to.push(addr);
          reply('250 2.1.5 recipient ok');
        }
      } else if (verb === 'DATA') {
        if (!tx || tx.to.length === 0) {
          reply('503 5.5.1 need RCPT first');
        } else {
          inData = true;
          reply('354 end data with <CR><LF>.<CR><LF>');
        }
      } else if (verb === 'RSET') {
        tx = null;
        reply('250 2.0.0 reset');
      } else if (verb === 'NOOP') {
        reply('250 2.0.0 ok');
      } else if (verb === 'QUIT') {
        reply('221 2.0.0 bye');
        socket.end();
      } else {
        reply('500 5.5.2 command not recognized');
      }
    };

    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      let nl;
      while ((nl = buffer.indexOf(0x0a)) >= 0) {
        let line = buffer.subarray(0, nl).toString('utf8');
        buffer = buffer.subarray(nl + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        onLine(line);
        if (socket.destroyed) return;
      }
    });
    reply('220 nguon-smtp-sink ESMTP ready');
  });

  await new Promise((resolve, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolve();
    });
  });

  return {
    port: server.address().port,
    messages,
    waitFor(count, ms = 10_000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, rejectWait) => {
        const w = { count, resolve, reject: rejectWait };
        w.timer = setTimeout(() => {
          waiters.delete(w);
          rejectWait(
            new Error(`smtp sink: ${messages.length} of ${count} messages after ${ms} ms`),
          );
        }, ms);
        waiters.add(w);
      });
    },
    setRejectMail(code) {
      reject.mail = code;
    },
    setRejectRcpt(code) {
      reject.rcpt = code;
    },
    setRejectData(code) {
      reject.data = code;
    },
    stop() {
      for (const w of waiters) {
        clearTimeout(w.timer);
        waiters.delete(w);
        w.reject(new Error(`smtp sink stopped: ${messages.length} of ${w.count} messages`));
      }
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
