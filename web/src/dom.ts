// Tiny DOM builder. Text is only ever inserted as text nodes / textContent: never innerHTML,
// since unit and user names are user data and may contain markup.

type Child = Node | string | number | null | undefined | false;
type Handler = (ev: Event) => void;

export interface Attrs {
  class?: string;
  testid?: string;
  text?: string;
  on?: Partial<Record<keyof HTMLElementEventMap, Handler>>;
  [attr: string]: unknown;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = String(v);
      else if (k === 'testid') el.setAttribute('data-testid', String(v));
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'on') {
        for (const [ev, fn] of Object.entries(v as Record<string, Handler>)) el.addEventListener(ev, fn);
      } else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') {
        (el as unknown as Record<string, unknown>)[k] = v;
      } else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replace(el: Node, ...children: (Child | Child[])[]): void {
  clear(el);
  append(el, children);
}

let idSeq = 0;
/** A unique id for label/input pairs. */
export function uid(prefix = 'f'): string {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

/** A labelled form field: returns the wrapper and the control. */
export function field<T extends HTMLInputElement | HTMLSelectElement>(
  label: string,
  control: T,
  hint?: string,
): HTMLDivElement {
  if (!control.id) control.id = uid();
  const children: Child[] = [h('label', { for: control.id, text: label }), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    children.push(h('p', { class: 'hint', id: hintId, text: hint }));
  }
  return h('div', { class: 'field' }, children);
}

/** A message area (error, success, info) announced to screen readers. */
export function messageBox(testid: string): {
  el: HTMLDivElement;
  error(text: string): void;
  success(text: string): void;
  info(text: string): void;
  clear(): void;
} {
  const el = h('div', { class: 'msg', testid, role: 'status', 'aria-live': 'polite', hidden: true });
  const show = (kind: string, text: string) => {
    el.className = `msg msg-${kind}`;
    el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    el.textContent = text;
    el.hidden = false;
  };
  return {
    el,
    error: (text) => show('error', text),
    success: (text) => show('success', text),
    info: (text) => show('info', text),
    clear: () => {
      el.textContent = '';
      el.hidden = true;
    },
  };
}

/**
 * Runs `fn` with the given controls disabled (and the button showing `busyText`), restoring
 * them afterwards. Returns fn's result; rethrows its error.
 */
export async function busy<T>(
  controls: (HTMLButtonElement | HTMLInputElement | HTMLSelectElement | HTMLFieldSetElement)[],
  fn: () => Promise<T>,
  button?: { el: HTMLButtonElement; busyText: string },
): Promise<T> {
  const prev = controls.map((c) => c.disabled);
  const label = button?.el.textContent ?? '';
  for (const c of controls) c.disabled = true;
  if (button) {
    button.el.textContent = button.busyText;
    button.el.setAttribute('aria-busy', 'true');
  }
  try {
    return await fn();
  } finally {
    controls.forEach((c, i) => {
      c.disabled = prev[i] ?? false;
    });
    if (button) {
      button.el.textContent = label;
      button.el.removeAttribute('aria-busy');
    }
  }
}

/**
 * Calls `load` again `ms` after each load ends, while `alive()` holds (typically: the view's
 * element is still in the page; another route mounted stops it) and only when the tab is
 * visible (a hidden tab waits). Returns `reload`: load now and restart the period.
 */
export function autoRefresh(alive: () => boolean, load: () => Promise<void>, ms: number): () => void {
  let timer: number | undefined;
  const schedule = (): void => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      if (!alive()) return;
      if (document.visibilityState === 'visible') void load().finally(schedule);
      else schedule();
    }, ms);
  };
  return () => {
    void load();
    schedule();
  };
}
