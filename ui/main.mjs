// The main window: first-run screen, then the shell with Unassign, History and Settings.
import { call } from './ipc.mjs';

const byId = (id) => document.getElementById(id);

function show(id) {
  for (const page of ['loading', 'startup-problem', 'welcome', 'shell']) {
    byId(page).hidden = page !== id;
  }
}

function banner(kind, text) {
  const el = document.createElement('p');
  el.className = `banner banner-${kind}`;
  el.setAttribute('role', 'note');
  el.textContent = text;
  byId('banners').append(el);
}

function renderBanners(info) {
  if (info.demo) {
    banner('demo', 'Demo tenant — a simulated organisation. Nothing you do here touches a real Microsoft 365 tenant.');
  } else if (info.endpoints && !info.endpoints.microsoft) {
    banner('custom', `These endpoints are not Microsoft’s: sign-in goes to ${info.endpoints.loginUrl} and Graph calls to ${info.endpoints.graphUrl}.`);
  }
}

function showProblem(problem) {
  byId('startup-problem-message').textContent = problem.message;
  byId('startup-problem-hint').textContent = problem.hint;
  show('startup-problem');
}

function selectView(name, { focus = true } = {}) {
  for (const tab of document.querySelectorAll('.tab')) {
    const selected = tab.dataset.view === name;
    if (selected) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
    byId(`view-${tab.dataset.view}`).hidden = !selected;
  }
  if (focus) byId(`${name}-title`).focus();
}

function fillSettings(info) {
  const endpoints = info.endpoints;
  byId('settings-cloud').textContent = endpoints ? endpoints.cloud : 'Not chosen yet';
  byId('settings-login').textContent = endpoints ? endpoints.loginUrl : '—';
  byId('settings-graph').textContent = endpoints ? endpoints.graphUrl : '—';
  byId('settings-version').textContent = info.version;
  byId('settings-data-dir').textContent = info.dataDir;
}

function openShell(info) {
  fillSettings(info);
  show('shell');
  selectView('unassign', { focus: false });
}

async function start() {
  let info;
  try {
    info = await call('app_info');
  } catch (problem) {
    showProblem(problem);
    return;
  }
  renderBanners(info);
  if (info.startupProblem) {
    showProblem(info.startupProblem);
  } else if (!info.firstRunDone) {
    byId('welcome-demo').hidden = !info.demo;
    byId('welcome-real').hidden = info.demo;
    show('welcome');
    byId('welcome-continue').focus();
  } else {
    openShell(info);
  }
  call('ui_ready').catch(() => {});

  byId('welcome-continue').addEventListener('click', async () => {
    try {
      await call('complete_first_run');
    } catch (problem) {
      banner('error', `${problem.message} ${problem.hint}`);
    }
    openShell(info);
    selectView('unassign');
  });
  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => selectView(tab.dataset.view));
  }
}

start();
