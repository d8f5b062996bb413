// The sign-in screen: in the system browser, or on another device with a code.
import { call } from './ipc.mjs';
import { PROBLEMS } from './contract.mjs';
import { byId, showPage, showProblem } from './dom.mjs';

let onSignedIn = () => {};
let onChangeSetup = () => {};

function state(which) {
  byId('signin-start').hidden = which !== 'start';
  byId('signin-waiting').hidden = which !== 'waiting';
  byId('signin-device').hidden = which !== 'device';
}

export function showSignIn(setup, problem, { signedIn, changeSetup }) {
  onSignedIn = signedIn;
  onChangeSetup = changeSetup;
  byId('signin-where').textContent = setup.lockedBy === 'demo'
    ? 'Sign in to the demo tenant (Contoso). Pick the telephony admin on the sign-in page.'
    : `Tenant ${setup.tenant} in the ${setup.cloudName} cloud.`;
  byId('signin-cloud-warning').hidden = setup.telephoneApiAvailable;
  byId('signin-change-setup').hidden = setup.locks.cloud && setup.locks.tenant && setup.locks.clientId;
  showProblem(byId('signin-problem'), problem);
  state('start');
  showPage('signin');
  byId('sign-in').focus();
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
  byId('sign-in').addEventListener('click', async () => {
    showProblem(byId('signin-problem'), null);
    let link;
    try {
      link = await call('sign_in_begin');
    } catch (problem) {
      showProblem(byId('signin-problem'), problem);
      return;
    }
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
