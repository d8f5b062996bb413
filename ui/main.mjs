// The main window: first run, setup, sign-in, then the shell with Unassign, Bulk, History,
// Settings.
import { call, listen } from './ipc.mjs';
import { banner, byId, copyText, showPage, showProblem, wireCopyButtons } from './dom.mjs';
import { ignoredHooksText, showSetup, wireSetup } from './setup.mjs';
import { showSignIn, wireSignIn } from './signin.mjs';
import { mountUnassign } from './unassign.mjs';
import { loadBatches, wireBulk } from './bulk.mjs';
import { historyOperationUpdated, loadHistory, select as selectRecord, wireHistory } from './history.mjs';

let info = null;
let setup = null;
let unassign = null;

function renderBanners() {
  if (info.demo) {
    banner('demo', 'Demo tenant — a simulated organisation. Nothing you do here touches a real Microsoft 365 tenant.');
  } else if (info.endpoints && !info.endpoints.microsoft) {
    banner('custom', `These endpoints are not Microsoft’s: sign-in goes to ${info.endpoints.loginUrl} and Graph calls to ${info.endpoints.graphUrl}.`);
  }
  const ignored = ignoredHooksText(info.ignoredHooks);
  if (ignored) banner('ignored', ignored);
}

function showStartupProblem(problem) {
  byId('startup-problem-message').textContent = problem.message;
  byId('startup-problem-hint').textContent = problem.hint;
  showPage('startup-problem');
}

function selectView(name, { focus = true } = {}) {
  for (const tab of document.querySelectorAll('.tab')) {
    const selected = tab.dataset.view === name;
    if (selected) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
    byId(`view-${tab.dataset.view}`).hidden = !selected;
  }
  if (name === 'history') loadHistory();
  if (name === 'bulk') loadBatches();
  if (focus) byId(`${name}-title`).focus();
}

async function openRecord(id) {
  selectView('history', { focus: false });
  await loadHistory();
  await selectRecord(id);
}

const NAMES = {
  true: 'Shown (User.ReadBasic.All is granted).',
  false: 'Not permitted: assignees show as object IDs. Microsoft refused User.ReadBasic.All at sign-in, so NumberDesk does not ask on every lookup (each refusal is a failed sign-in in your tenant’s sign-in log). Once an administrator has granted admin consent for it, choose “Ask again for names”.',
  null: 'Not checked yet.',
};

function fillSettings(status) {
  const account = status.account || {};
  byId('account-chip').textContent = account.name || account.username || '';
  byId('settings-account-name').textContent = account.name || '—';
  byId('settings-account-upn').textContent = account.username || '—';
  byId('settings-account-tenant').textContent = account.tenantId || '—';
  byId('settings-names').textContent = NAMES[String(status.namesPermitted ?? null)];
  byId('names-ask-again').hidden = status.namesPermitted !== false;
  byId('settings-cloud').textContent = setup.cloudName;
  byId('settings-tenant').textContent = setup.tenant;
  byId('settings-client-id').textContent = setup.clientId;
  byId('settings-login').textContent = info.endpoints ? info.endpoints.loginUrl : '—';
  byId('settings-graph').textContent = info.endpoints ? info.endpoints.graphUrl : '—';
  byId('settings-version').textContent = info.version;
  byId('settings-data-dir').textContent = info.dataDir;
  const locked = setup.locks.cloud && setup.locks.tenant && setup.locks.clientId;
  byId('settings-change-setup').hidden = locked;
  byId('settings-locked').hidden = !locked;
  byId('settings-locked').textContent = {
    managed: `Set by your IT department (${setup.presetPath}).`,
    demo: 'These are the demo tenant’s settings.',
    testHooks: 'Fixed by NUMBERDESK_* environment variables.',
  }[setup.lockedBy] || '';
}

async function loadBackground() {
  try {
    const view = await call('get_background_settings');
    byId('bg-notifications').checked = view.notifications;
    byId('bg-start-at-login').checked = view.startAtLogin;
    byId('bg-shortcut-enabled').checked = view.shortcutEnabled;
    byId('bg-shortcut').value = view.shortcut;
    byId('bg-no-tray').hidden = view.trayAvailable;
    showProblem(byId('bg-problem'), view.shortcutProblem);
  } catch (problem) {
    showProblem(byId('bg-problem'), problem);
  }
}

function wireNames() {
  byId('names-ask-again').addEventListener('click', async () => {
    showProblem(byId('names-problem'), null);
    try {
      const status = await call('ask_for_names_again');
      fillSettings(status);
    } catch (problem) {
      showProblem(byId('names-problem'), problem);
    }
  });
}

function wireDiagnostics() {
  byId('copy-diagnostics').addEventListener('click', async () => {
    const status = byId('diagnostics-status');
    try {
      const report = await call('copy_diagnostics');
      status.textContent = await copyText(report)
        ? 'Copied. Paste it into your ticket or email.'
        : 'Could not copy to the clipboard.';
      // What was copied, also on the page (a test reads it where no clipboard is).
      status.dataset.copied = report;
    } catch (problem) {
      status.textContent = `${problem.message} ${problem.hint}`;
    }
  });
}

function wireBackground() {
  byId('open-quick').addEventListener('click', () => {
    call('show_quick_window').catch((problem) => showProblem(byId('bg-problem'), problem));
  });
  byId('background-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    byId('bg-saved').textContent = '';
    try {
      await call('save_background_settings', {
        settings: {
          notifications: byId('bg-notifications').checked,
          startAtLogin: byId('bg-start-at-login').checked,
          shortcutEnabled: byId('bg-shortcut-enabled').checked,
          shortcut: byId('bg-shortcut').value.trim(),
        },
      });
      showProblem(byId('bg-problem'), null);
      byId('bg-saved').textContent = 'Saved.';
    } catch (problem) {
      showProblem(byId('bg-problem'), problem);
    }
  });
}

function openShell(status) {
  fillSettings(status);
  loadBackground();
  showPage('shell');
  selectView('unassign', { focus: false });
}

const signInHandlers = {
  signedIn: (status) => { openShell(status); selectView('unassign'); },
  changeSetup: () => showSetup(setup, afterSetup),
};

async function afterSetup(view) {
  if (view) setup = view;
  await route();
}

// Decides which page to show: setup, sign-in, or the shell.
async function route() {
  try {
    setup = await call('get_setup');
  } catch (problem) {
    showStartupProblem(problem);
    return;
  }
  if (!setup.complete) {
    showSetup(setup, afterSetup);
    return;
  }
  let status;
  try {
    status = await call('session_status');
  } catch (problem) {
    showSignIn(setup, problem, signInHandlers);
    return;
  }
  if (status.signedIn) openShell(status);
  else showSignIn(setup, null, signInHandlers);
}

async function start() {
  // Asked first, so the first screen's facts are on their way while the page wires itself up.
  const infoAnswer = call('app_info');
  wireCopyButtons();
  wireSetup();
  wireSignIn();
  wireHistory();
  wireBulk({ openRecord });
  unassign = mountUnassign(byId('main-unassign'), { openRecord });
  listen('open-record', (id) => {
    if (!byId('shell').hidden) openRecord(id);
  });
  listen('show-sign-in', async (signOut) => {
    if (signOut) await call('sign_out').catch(() => {});
    byId('account-chip').textContent = '';
    await route();
  });
  listen('second-instance', () => {
    // Another launch was folded into this window (tests read this counter).
    const root = document.documentElement;
    root.dataset.secondInstance = String(Number(root.dataset.secondInstance || 0) + 1);
  });
  wireBackground();
  wireDiagnostics();
  wireNames();
  listen('operation-updated', (record) => {
    unassign.operationUpdated(record);
    historyOperationUpdated(record);
  });
  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => selectView(tab.dataset.view));
  }
  byId('settings-change-setup').addEventListener('click', () => showSetup(setup, afterSetup));
  // The sign-in died (revoked, expired, password changed): say so on the sign-in screen.
  // Settings and history stay as they are.
  window.addEventListener('numberdesk:sign-in-again', (event) => {
    if (!byId('shell').hidden && setup) {
      byId('account-chip').textContent = '';
      showSignIn(setup, event.detail, signInHandlers);
    }
  });
  byId('sign-out').addEventListener('click', async () => {
    try {
      await call('sign_out');
    } catch (problem) {
      showSignIn(setup, problem, signInHandlers);
      return;
    }
    byId('account-chip').textContent = '';
    showSignIn(setup, null, signInHandlers);
  });
  byId('welcome-continue').addEventListener('click', async () => {
    try {
      await call('complete_first_run');
    } catch (problem) {
      banner('error', `${problem.message} ${problem.hint}`);
    }
    await route();
  });

  try {
    info = await infoAnswer;
  } catch (problem) {
    showStartupProblem(problem);
    return;
  }
  renderBanners();
  if (info.startupProblem) {
    showStartupProblem(info.startupProblem);
  } else if (!info.firstRunDone) {
    byId('welcome-demo').hidden = !info.demo;
    byId('welcome-real').hidden = info.demo;
    showPage('welcome');
    byId('welcome-continue').focus();
  } else {
    await route();
  }
  call('ui_ready').catch(() => {});
}

start();
