// The Settings view: the account and the names permission, the connection, what runs in the
// background, the version and diagnostics. `mount(root, deps)` wires the view's markup in
// index.html and returns the methods the shell calls; all state lives in the mount.
//
// deps: facts() → { info, setup, status } as the shell knows them now; changeSetup();
// signOut(); statusChanged(status) after "Ask again for names".
import { call } from './ipc.mjs';
import { copyText, showProblem } from './dom.mjs';
import { lockedText } from './words.mjs';

const NAMES = {
  true: 'Shown (User.ReadBasic.All is granted).',
  false: 'Not permitted: assignees show as object IDs. Microsoft refused User.ReadBasic.All at sign-in, so NumberDesk does not ask on every lookup (each refusal is a failed sign-in in your tenant’s sign-in log). Once an administrator has granted admin consent for it, choose “Ask again for names”.',
  null: 'Not checked yet.',
};


export function mount(root, { facts, changeSetup, signOut, statusChanged }) {
  const el = (id) => root.querySelector(`#${id}`);
  let background = null; // the first load of the background settings (kept while edited)

  function fill() {
    const { info, setup, status } = facts();
    const account = status.account || {};
    el('settings-account-name').textContent = account.name || '—';
    el('settings-account-upn').textContent = account.username || '—';
    el('settings-account-tenant').textContent = account.tenantId || '—';
    el('settings-names').textContent = NAMES[String(status.namesPermitted ?? null)];
    el('names-ask-again').hidden = status.namesPermitted !== false;
    el('settings-cloud').textContent = setup.cloudName;
    el('settings-tenant').textContent = setup.tenant;
    el('settings-client-id').textContent = setup.clientId;
    el('settings-login').textContent = info.endpoints ? info.endpoints.loginUrl : '—';
    el('settings-graph').textContent = info.endpoints ? info.endpoints.graphUrl : '—';
    el('settings-version').textContent = info.version;
    el('settings-data-dir').textContent = info.dataDir;
    const locked = setup.locks.cloud && setup.locks.tenant && setup.locks.clientId;
    el('settings-change-setup').hidden = locked;
    el('settings-locked').hidden = !locked;
    el('settings-locked').textContent = lockedText(setup);
  }

  async function loadBackground() {
    try {
      const view = await call('get_background_settings');
      el('bg-notifications').checked = view.notifications;
      el('bg-start-at-login').checked = view.startAtLogin;
      el('bg-shortcut-enabled').checked = view.shortcutEnabled;
      el('bg-shortcut').value = view.shortcut;
      el('bg-no-tray').hidden = view.trayAvailable;
      showProblem(el('bg-problem'), view.shortcutProblem);
    } catch (problem) {
      showProblem(el('bg-problem'), problem);
    }
  }

  el('names-ask-again').addEventListener('click', async () => {
    showProblem(el('names-problem'), null);
    try {
      statusChanged(await call('ask_for_names_again'));
      fill();
    } catch (problem) {
      showProblem(el('names-problem'), problem);
    }
  });

  el('copy-diagnostics').addEventListener('click', async () => {
    const status = el('diagnostics-status');
    showProblem(el('diagnostics-problem'), null);
    try {
      const report = await call('copy_diagnostics');
      status.textContent = await copyText(report)
        ? 'Copied. Paste it into your ticket or email.'
        : 'Could not copy to the clipboard.';
      // What was copied, also on the page (a test reads it where no clipboard is).
      status.dataset.copied = report;
    } catch (problem) {
      status.textContent = '';
      showProblem(el('diagnostics-problem'), problem);
    }
  });

  el('open-quick').addEventListener('click', () => {
    call('show_quick_window').catch((problem) => showProblem(el('bg-problem'), problem));
  });
  el('background-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    el('bg-saved').textContent = '';
    try {
      await call('save_background_settings', {
        settings: {
          notifications: el('bg-notifications').checked,
          startAtLogin: el('bg-start-at-login').checked,
          shortcutEnabled: el('bg-shortcut-enabled').checked,
          shortcut: el('bg-shortcut').value.trim(),
        },
      });
      showProblem(el('bg-problem'), null);
      el('bg-saved').textContent = 'Saved.';
    } catch (problem) {
      showProblem(el('bg-problem'), problem);
    }
  });
  el('settings-change-setup').addEventListener('click', () => changeSetup());
  el('sign-out').addEventListener('click', () => signOut());

  return {
    // The shell shows the view: the facts as they are now; the background settings as saved
    // (read once, so an edit in progress survives a visit to another view).
    async show() {
      fill();
      background = background || loadBackground();
      await background;
    },
  };
}
