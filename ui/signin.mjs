// The sign-in screen: in the system browser, or on another device with a code.
import { call, listen } from './ipc.mjs';
import { EVENTS, PROBLEMS } from './contract.mjs';
import { byId, showPage, showProblem } from './dom.mjs';

let onSignedIn = () => {};
let onChangeSetup = () => {};

function state(which) {
  byId('signin-start').hidden = which !== 'start';
  byId('signin-waiting').hidden = which !== 'waiting';
  byId('signin-device').hidden = which !== 'device';
}

// Asks, as the screen opens, whether the sign-in set up can work at all (an `organizations`
// tenant for a single-tenant app): the dead end is said before anyone presses Sign in.
async function checkBeforeSignIn() {
  try {
    await call('sign_in_check');
  } catch (problem) {
    if (!byId('signin').hidden && byId('signin-problem').hidden) {
      showProblem(byId('signin-problem'), problem);
    }
  }
}

export function showSignIn(setup, problem, { signedIn, changeSetup, note = '' }) {
  onSignedIn = signedIn;
  onChangeSetup = changeSetup;
  byId('signin-where').textContent = setup.lockedBy === 'demo'
    ? 'Sign in to the demo tenant (Contoso). Pick the telephony admin on the sign-in page.'
    : `Tenant ${setup.tenant} in the ${setup.cloudName} cloud.`;
  byId('signin-cloud-warning').hidden = setup.telephoneApiAvailable;
  byId('signin-change-setup').hidden = setup.locks.cloud && setup.locks.tenant && setup.locks.clientId;
  byId('signin-note').textContent = note;
  byId('signin-note').hidden = !note;
  byId('signin-progress').textContent = '';
  showProblem(byId('signin-problem'), problem);
  state('start');
  showPage('signin');
  byId('sign-in').focus();
  if (!problem) checkBeforeSignIn();
}

// `wait` is the call that ends when the sign-in does (each command is named where it is
// called, so the security test can match the window's calls with its capability).
async function finish(wait) {
  try {
    const status = await wait();
    showProblem(byId('signin-problem'), null);
    onSignedIn(status);
  } catch (problem) {
    state('start');
    // Cancel pressed here needs no explanation; everything else does.
    showProblem(byId('signin-problem'), problem.kind === PROBLEMS.cancelled ? null : problem);
    byId('sign-in').focus();
  }
}

export function wireSignIn() {
  // Right after "Set up for my organization", Microsoft may not know the new app yet: the
  // app waits for it before the browser opens, and says so here.
  listen(EVENTS.setupProgress, (progress) => {
    if (!byId('signin').hidden) byId('signin-progress').textContent = progress.text;
  });
  byId('sign-in').addEventListener('click', async () => {
    showProblem(byId('signin-problem'), null);
    let link;
    try {
      link = await call('sign_in_begin');
    } catch (problem) {
      byId('signin-progress').textContent = '';
      showProblem(byId('signin-problem'), problem);
      return;
    }
    byId('signin-progress').textContent = '';
    byId('sign-in-link').value = link.url;
    byId('signin-no-browser').hidden = link.browserOpened;
    state('waiting');
    byId('sign-in-cancel').focus();
    await finish(() => call('sign_in_wait'));
  });
  byId('sign-in-device').addEventListener('click', async () => {
    showProblem(byId('signin-problem'), null);
    let prompt;
    try {
      prompt = await call('device_sign_in_begin');
    } catch (problem) {
      showProblem(byId('signin-problem'), problem);
      return;
    }
    byId('device-link').textContent = prompt.verificationUri;
    byId('device-code').textContent = prompt.userCode;
    state('device');
    byId('device-cancel').focus();
    await finish(() => call('device_sign_in_wait'));
  });
  for (const id of ['sign-in-cancel', 'device-cancel']) {
    byId(id).addEventListener('click', () => call('sign_in_cancel').catch(() => {}));
  }
  byId('signin-change-setup').addEventListener('click', () => onChangeSetup());
}
