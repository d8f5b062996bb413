// The tray's quick window: the same lookup card and confirmation as the main window, made for
// the keyboard. Esc closes it; it hides when it loses focus unless something is on screen.
import { call, listen } from './ipc.mjs';
import { EVENTS } from './contract.mjs';
import { mount as mountUnassign } from './unassign.mjs';
import { showProblem } from './dom.mjs';

const byId = (id) => document.getElementById(id);

const unassign = mountUnassign(byId('quick-unassign'), {
  openRecord: (id) => call('open_record_in_main', { id }).catch(() => {}),
  onBusy: (busy) => call('set_quick_busy', { busy }).catch(() => {}),
});

async function refresh() {
  try {
    const status = await call('session_status');
    byId('quick-signed-out').hidden = status.signedIn;
    byId('quick-unassign').hidden = !status.signedIn;
    if (status.signedIn) unassign.focus();
    else {
      byId('quick-sign-in').focus();
      await checkBeforeSignIn();
    }
  } catch {
    byId('quick-signed-out').hidden = false;
    byId('quick-unassign').hidden = true;
  }
}

// Signed out: whether the sign-in set up can work at all (`organizations` for a single-tenant
// app is a dead end), said here before the main window's sign-in is opened.
async function checkBeforeSignIn() {
  const box = byId('quick-problem');
  try {
    await call('sign_in_check');
    showProblem(box, null);
  } catch (problem) {
    showProblem(box, problem);
  }
}

function close() {
  call('hide_quick_window').catch(() => {});
}

document.addEventListener('keydown', (event) => {
  // Esc in an open confirmation closes only the confirmation (the browser does that).
  if (event.key === 'Escape' && !unassign.confirming()) {
    event.preventDefault();
    close();
  }
});
byId('quick-close').addEventListener('click', close);
byId('quick-sign-in').addEventListener('click', () => call('open_sign_in_in_main').catch(() => {}));
listen(EVENTS.quickOpened, refresh);
listen(EVENTS.operationUpdated, (record) => unassign.operationUpdated(record));
call('app_info').then((info) => { byId('quick-demo').hidden = !info.demo; }).catch(() => {});
refresh();
