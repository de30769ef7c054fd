// Application state, hash router and the signed-in shell (header + navigation + main area).
//
// Routes: #/login, #/units, #/units/<code>, #/users, #/password, #/bulletins, #/bulletins/new,
// #/bulletins/<id>, #/bulletins/<id>/edit, #/approvals, #/library, #/library/<code>,
// #/devices, #/devices/new, #/devices/import, #/devices/<id>, #/schedule, #/schedule/new,
// #/schedule/<programme id>, #/plays, #/plays/<device id>, #/feedback, #/feedback/new,
// #/feedback/stats, #/feedback/settings, #/feedback/<id>, #/alerts, #/alerts/new, #/alerts/sources,
// #/alerts/<id>, #/live.

import { api, ApiError, setCsrfToken, setSessionLostHandler } from './api';
import { notificationBell, refreshBell, stopBell } from './components/bell';
import { hasRoleSomewhere, resetBulletinCaches } from './components/bulletinBits';
import { h, replace } from './dom';
import { errorText } from './errors';
import { applyDocumentLang, lang, onLangChange, setLang, t, type Lang } from './i18n';
import type { Meta, User } from './types';
import { approvalsView } from './views/approvals';
import { bulletinDetailView } from './views/bulletinDetail';
import { bulletinEditorView } from './views/bulletinEditor';
import { bulletinsView, resetBulletinListState } from './views/bulletins';
import { libraryView, resetLibraryState } from './views/library';
import { loginView } from './views/login';
import { passwordView } from './views/password';
import { resetUnitsState, unitsView } from './views/units';
import { usersView } from './views/users';
import { canOperate, canSeeDevices } from './components/deviceBits';
import { devicesView } from './views/devices';
import { devicesDetailView } from './views/devicesDetail';
import { devicesImportView } from './views/devicesImport';
import { devicesNewView } from './views/devicesNew';
import { playsView } from './views/plays';
import { scheduleView } from './views/schedule';
import { scheduleEditorView } from './views/scheduleEditor';
import { canSeeFeedback, resetFeedbackCaches } from './components/feedbackBits';
import { feedbackView, resetFeedbackListState } from './views/feedback';
import { feedbackDetailView } from './views/feedbackDetail';
import { feedbackNewView } from './views/feedbackNew';
import { feedbackSettingsView } from './views/feedbackSettings';
import { feedbackStatsView } from './views/feedbackStats';
import { canSeeAlerts } from './components/alertBits';
import { alertsView } from './views/alerts';
import { alertDetailView } from './views/alertDetail';
import { alertIssueView } from './views/alertIssue';
import { alertSourcesView } from './views/alertSources';
import { liveView } from './views/live';

export interface View {
  el: HTMLElement;
  /** Called instead of re-mounting when only the route parameter changed. */
  update?(param: string | undefined): void;
}

interface State {
  user: User | null;
  meta: Meta | null;
  /** One-shot notice shown on the login page (e.g. "session expired"). */
  loginNotice: string | null;
  /** One-shot success notice shown above the next mounted view. */
  flash: string | null;
}

export const state: State = { user: null, meta: null, loginNotice: null, flash: null };

export function flash(text: string): void {
  state.flash = text;
}

export function isAdmin(user: User | null): boolean {
  if (!user) return false;
  return user.is_admin ?? user.roles.some((r) => r.role === 'admin');
}

let root: HTMLElement;
let mounted: { key: string; view: View } | null = null;
let shell: { el: HTMLElement; main: HTMLElement; nav: Map<string, HTMLAnchorElement> } | null = null;

export function navigate(hash: string): void {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function parseHash(): { name: string; param: string | undefined } {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const rest = parts.slice(1).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { name: parts[0] ?? '', param: rest.length ? rest.join('/') : undefined };
}

/** Per-user caches of the views, dropped on sign-in and sign-out. */
function resetViewState(): void {
  resetUnitsState();
  resetBulletinCaches();
  resetBulletinListState();
  resetLibraryState();
  resetFeedbackCaches();
  resetFeedbackListState();
}

export function isApprover(user: User | null): boolean {
  return hasRoleSomewhere(user, 'approver');
}

export function signedIn(user: User, csrf: string): void {
  state.user = user;
  setCsrfToken(csrf);
  resetViewState();
  stopBell();
  shell = null;
  mounted = null;
  navigate(user.must_change_password ? '#/password' : '#/units');
}

export function signedOut(notice: string | null): void {
  state.user = null;
  state.loginNotice = notice;
  setCsrfToken('');
  resetViewState();
  stopBell();
  shell = null;
  mounted = null;
  navigate('#/login');
}

/** Replaces the current user record (e.g. after a password change) and re-renders. */
export function updateUser(user: User, csrf?: string): void {
  state.user = user;
  if (csrf) setCsrfToken(csrf);
  shell = null;
  mounted = null;
}

async function logout(btn: HTMLButtonElement): Promise<void> {
  btn.disabled = true;
  try {
    await api.logout();
  } catch {
    /* the session is dropped client-side regardless */
  }
  signedOut(null);
}

function langSwitch(): HTMLElement {
  const mk = (code: Lang, short: string, long: string) =>
    h('button', {
      type: 'button',
      class: 'lang-btn',
      testid: `lang-${code}`,
      lang: code,
      'aria-pressed': String(lang() === code),
      title: long,
      'aria-label': long,
      text: short,
      on: { click: () => setLang(code) },
    });
  return h(
    'div',
    { class: 'lang-switch', role: 'group', 'aria-label': t('lang.label') },
    mk('vi', t('lang.vi'), t('lang.vi.long')),
    mk('en', t('lang.en'), t('lang.en.long')),
  );
}

function buildShell(user: User): NonNullable<typeof shell> {
  const forced = user.must_change_password;
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const nav = new Map<string, HTMLAnchorElement>();
  const link = (name: string, label: string) => {
    const a = h('a', { href: `#/${name}`, testid: `nav-${name}`, text: label });
    // Clicking the entry of the page already shown reloads it (fresh lists).
    a.addEventListener('click', (ev) => {
      if (location.hash === `#/${name}`) {
        ev.preventDefault();
        mounted = null;
        route();
      }
    });
    nav.set(name, a);
    return h('li', null, a);
  };
  const items = forced
    ? [link('password', t('nav.password'))]
    : [
        link('units', t('nav.units')),
        link('bulletins', t('nav.bulletins')),
        isApprover(user) ? link('approvals', t('nav.approvals')) : null,
        link('library', t('nav.library')),
        canSeeFeedback(user) ? link('feedback', t('nav.feedback')) : null,
        canSeeAlerts(user) ? link('alerts', t('nav.alerts')) : null,
        canOperate(user) ? link('live', t('nav.live')) : null,
        canSeeDevices(user) ? link('devices', t('nav.devices')) : null,
        canSeeDevices(user) ? link('schedule', t('nav.schedule')) : null,
        canSeeDevices(user) ? link('plays', t('nav.plays')) : null,
        isAdmin(user) ? link('users', t('nav.users')) : null,
        link('password', t('nav.password')),
      ];
  const logoutBtn = h('button', { type: 'button', class: 'btn btn-ghost', testid: 'logout', text: t('shell.logout') });
  logoutBtn.addEventListener('click', () => void logout(logoutBtn));
  const el = h(
    'div',
    { class: 'shell' },
    h('a', { class: 'skip', href: '#main', text: t('app.skip'), on: { click: (e) => { e.preventDefault(); main.focus(); } } }),
    h(
      'header',
      { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-name', testid: 'brand', text: t('app.name') }), h('span', { class: 'brand-tag', text: t('app.tagline') })),
      h(
        'div',
        { class: 'topbar-right' },
        h(
          'div',
          { class: 'who', 'aria-label': t('shell.user') },
          h('span', { class: 'who-name', testid: 'header-user', text: user.display_name || user.username }),
          h('span', { class: 'who-unit', testid: 'header-unit', text: user.unit_name || user.unit_code }),
        ),
        forced ? null : notificationBell(),
        langSwitch(),
        logoutBtn,
      ),
    ),
    h('div', { class: 'body' }, h('nav', { class: 'sidenav', 'aria-label': t('shell.nav') }, h('ul', null, items)), main),
  );
  return { el, main, nav };
}

function mountView(key: string, make: () => View, param: string | undefined, navKey: string = key): void {
  if (!shell) return;
  if (mounted && mounted.key === key && mounted.view.update) {
    mounted.view.update(param);
  } else {
    const view = make();
    mounted = { key, view };
    const notice = state.flash;
    state.flash = null;
    replace(
      shell.main,
      notice ? h('p', { class: 'msg msg-success', role: 'status', testid: 'flash', text: notice }) : null,
      view.el,
    );
    view.update?.(param);
  }
  for (const [name, a] of shell.nav) {
    if (name === navKey) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

export function route(): void {
  const { name } = parseHash();
  let { param } = parseHash();
  const user = state.user;
  if (!user) {
    shell = null;
    mounted = null;
    if (name !== 'login') {
      history.replaceState(null, '', '#/login');
    }
    const notice = state.loginNotice;
    state.loginNotice = null;
    replace(root, loginView(notice));
    return;
  }
  if (!shell) {
    shell = buildShell(user);
    mounted = null;
    replace(root, shell.el);
  }
  let target = name;
  if (user.must_change_password) target = 'password';
  else if (target === 'users' && !isAdmin(user)) target = 'units';
  else if (target === 'approvals' && !isApprover(user)) target = 'bulletins';
  else if (['devices', 'schedule', 'plays'].includes(target) && !canSeeDevices(user)) target = 'units';
  else if (target === 'feedback' && !canSeeFeedback(user)) target = 'units';
  else if (target === 'alerts' && !canSeeAlerts(user)) target = 'units';
  else if (target === 'live' && !canOperate(user)) target = 'units';
  else if (!['units', 'users', 'password', 'bulletins', 'approvals', 'library', 'devices', 'schedule', 'plays', 'feedback', 'alerts', 'live'].includes(target)) target = 'units';
  if (target !== name) {
    history.replaceState(null, '', `#/${target}`);
    param = undefined;
  }
  if (!user.must_change_password) refreshBell();
  if (target === 'units') mountView('units', unitsView, param);
  else if (target === 'users') mountView('users', usersView, param);
  else if (target === 'bulletins') routeBulletins(param);
  else if (target === 'approvals') mountView('approvals', approvalsView, undefined);
  else if (target === 'library') mountView('library', libraryView, param);
  else if (target === 'devices') routeDevices(param);
  else if (target === 'schedule') {
    if (param) mountView('programme', scheduleEditorView, param, 'schedule');
    else mountView('schedule', scheduleView, undefined);
  } else if (target === 'plays') mountView('plays', playsView, param);
  else if (target === 'feedback') routeFeedback(param);
  else if (target === 'alerts') routeAlerts(param);
  else if (target === 'live') mountView('live', liveView, undefined);
  else mountView('password', () => passwordView(user.must_change_password), param);
}

function routeDevices(param: string | undefined): void {
  if (!param) return mountView('devices', devicesView, undefined);
  if (param === 'new') return mountView('device-new', devicesNewView, undefined, 'devices');
  if (param === 'import') return mountView('device-import', devicesImportView, undefined, 'devices');
  return mountView('device', devicesDetailView, param, 'devices');
}

/** The inbox, with a link to the settings (#/feedback/settings) in its header for admins. */
function feedbackInboxView(): View {
  const view = feedbackView();
  if (isAdmin(state.user)) {
    const link = h('a', { class: 'btn', href: '#/feedback/settings', testid: 'fb-settings-link', text: t('fbset.link') });
    view.el.querySelector('.page-head .actions')?.prepend(link);
  }
  return view;
}

function routeFeedback(param: string | undefined): void {
  if (!param) return mountView('feedback', feedbackInboxView, undefined);
  if (param === 'new') return mountView('feedback-new', feedbackNewView, undefined, 'feedback');
  if (param === 'stats') return mountView('feedback-stats', feedbackStatsView, undefined, 'feedback');
  if (param === 'settings') return mountView('feedback-settings', feedbackSettingsView, undefined, 'feedback');
  if (!/^\d+$/.test(param)) {
    history.replaceState(null, '', '#/feedback');
    return mountView('feedback', feedbackInboxView, undefined);
  }
  return mountView('feedback-detail', feedbackDetailView, param, 'feedback');
}

/** #/alerts, #/alerts/new (issue an order), #/alerts/sources (admins), #/alerts/<id>. */
function routeAlerts(param: string | undefined): void {
  if (param === 'new') return mountView('alert-issue', alertIssueView, undefined, 'alerts');
  if (param === 'sources' && isAdmin(state.user)) return mountView('alert-sources', alertSourcesView, undefined, 'alerts');
  if (!param || !/^\d+$/.test(param)) {
    if (param) history.replaceState(null, '', '#/alerts');
    return mountView('alerts', alertsView, undefined);
  }
  return mountView('alert', alertDetailView, param, 'alerts');
}

function routeBulletins(param: string | undefined): void {
  if (!param) return mountView('bulletins', bulletinsView, undefined);
  if (param === 'new') return mountView('bulletin-edit', bulletinEditorView, 'new', 'bulletins');
  const m = /^(\d+)(?:\/(edit))?$/.exec(param);
  if (!m) {
    history.replaceState(null, '', '#/bulletins');
    return mountView('bulletins', bulletinsView, undefined);
  }
  if (m[2]) return mountView('bulletin-edit', bulletinEditorView, m[1], 'bulletins');
  return mountView('bulletin', bulletinDetailView, m[1], 'bulletins');
}

export async function start(el: HTMLElement): Promise<void> {
  root = el;
  applyDocumentLang();
  replace(root, h('p', { class: 'loading', text: t('app.loading') }));
  setSessionLostHandler(() => {
    if (state.user) signedOut(t('login.sessionExpired'));
  });
  onLangChange(() => {
    shell = null;
    mounted = null;
    route();
  });
  window.addEventListener('hashchange', route);
  const [meta, me] = await Promise.allSettled([api.meta(), api.me()]);
  if (meta.status === 'fulfilled') state.meta = meta.value;
  if (me.status === 'fulfilled') {
    state.user = me.value.user;
    setCsrfToken(me.value.csrf_token);
  } else if (!(me.reason instanceof ApiError && me.reason.status === 401)) {
    // Server unreachable or broken: show the login page with the reason.
    state.loginNotice = errorText(me.reason);
  }
  route();
}
