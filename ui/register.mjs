// "Set up for my organization": setup's one sign-in in the browser, NumberDesk registering itself
// with its progress as it goes, the "Ask an admin" card with Check again, and every other
// outcome with its next step (the manual path is one click away).
import { call, listen } from './ipc.mjs';
import { EVENTS, PROBLEMS } from './contract.mjs';
import { byId, showPage, showProblem } from './dom.mjs';

let handlers = { ready: () => {}, manual: () => {}, back: () => {} };
let cloud = 'global';
// Each start counts up: answers of a run that was cancelled or restarted are dropped.
let run = 0;

function part(which) {
  byId('register-waiting').hidden = which !== 'waiting';
  byId('register-ask-admin').hidden = which !== 'askAdmin';
  byId('register-retry').hidden = which !== 'failed';
  byId('register-manual').hidden = !['failed', 'askAdmin'].includes(which);
  byId('register-cancel').textContent = which === 'failed' ? 'Back' : 'Cancel';
}

function addStep(text) {
  const item = document.createElement('li');
  item.textContent = text;
  byId('register-steps').append(item);
}

function showAskAdmin(result) {
  const roles = byId('register-roles');
  roles.replaceChildren(...result.roles.map((role) => {
    const item = document.createElement('li');
    item.textContent = role;
    return item;
  }));
  byId('register-consent-link').value = result.adminConsentUrl;
  part('askAdmin');
  byId('register-ask-title').focus();
}

// Where a run ended: the sign-in (ready), the card (consent needed), or the problem.
async function ended(mine, answer) {
  let result;
  try {
    result = await answer;
  } catch (problem) {
    if (mine !== run) return;
    if (problem.kind === PROBLEMS.cancelled) {
      handlers.back();
      return;
    }
    showProblem(byId('register-problem'), problem);
    part('failed');
    byId('register-retry').focus();
    return;
  }
  if (mine !== run) return;
  for (const change of result.changes) addStep(change);
  if (result.outcome === 'ready') handlers.ready(result.setup, result.changes);
  else showAskAdmin(result);
}

export async function startRegister(chosenCloud, { ready, manual, back }) {
  handlers = { ready, manual, back };
  cloud = chosenCloud;
  run += 1;
  const mine = run;
  byId('register-steps').replaceChildren();
  byId('register-check-result').textContent = '';
  showProblem(byId('register-problem'), null);
  part('waiting');
  showPage('register');
  byId('register-title').focus();
  let link;
  try {
    link = await call('setup_begin', { cloud });
  } catch (problem) {
    if (mine !== run) return;
    showProblem(byId('register-problem'), problem);
    part('failed');
    return;
  }
  byId('register-link').value = link.url;
  byId('register-no-browser').hidden = link.browserOpened;
  await ended(mine, call('setup_wait'));
}

export function wireRegister() {
  listen(EVENTS.setupProgress, (progress) => {
    if (!byId('register').hidden) addStep(progress.text);
  });
  byId('register-cancel').addEventListener('click', async () => {
    run += 1;
    await call('setup_cancel').catch(() => {});
    handlers.back();
  });
  byId('register-retry').addEventListener('click', () => startRegister(cloud, handlers));
  byId('register-manual').addEventListener('click', async () => {
    run += 1;
    await call('setup_cancel').catch(() => {});
    handlers.manual();
  });
  byId('register-check-again').addEventListener('click', async () => {
    const said = byId('register-check-result');
    said.textContent = 'Checking…';
    try {
      const result = await call('setup_check_again');
      if (result.outcome === 'ready') {
        said.textContent = '';
        for (const change of result.changes) addStep(change);
        handlers.ready(result.setup, result.changes);
      } else {
        said.textContent = 'No administrator has granted consent yet. Send them the link, then check again.';
      }
    } catch (problem) {
      said.textContent = '';
      showProblem(byId('register-problem'), problem);
    }
  });
}
