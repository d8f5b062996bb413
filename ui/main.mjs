// The main window: first run, setup, sign-in, then the shell with Unassign, Bulk, Numbers, History,
// Settings. The first screen runs only what it shows: every view, and the setup and sign-in
// pages, load when first opened (Unassign's as soon as the shell is likely to open).
//
// Every view module has one shape: `mount(root, deps)` wires the view inside `root` and returns
// { show(), operationUpdated?(record), openRecord?(id) }; the shell calls nothing else.
import { call, listen } from './ipc.mjs';
import { banner, byId, showPage, showProblem, wireCopyButtons } from './dom.mjs';
import { EVENTS } from './contract.mjs';

// What the shell knows: the app's facts, the saved setup, the sign-in status.
const facts = { info: null, setup: null, status: null };

// Modules loaded on first use (each literal, so tests/security.rs can follow them).
const VIEW_MODULES = {
  unassign: () => import('./unassign.mjs'),
  bulk: () => import('./bulk.mjs'),
  numbers: () => import('./numbers.mjs'),
  history: () => import('./history.mjs'),
  settings: () => import('./settings.mjs'),
};
const setupPage = once(async () => {
  const page = await import('./setup.mjs');
  page.wireSetup();
  return page;
});
const registerPage = once(async () => {
  const page = await import('./register.mjs');
  page.wireRegister();
  return page;
});
const signInPage = once(async () => {
  const page = await import('./signin.mjs');
  page.wireSignIn();
  return page;
});

function once(load) {
  let loaded = null;
  return () => {
    loaded = loaded || load();
    return loaded;
  };
}

// The mounted views by name; a view is mounted when it is first shown.
const views = {};
const mounting = {};
let current = null;

function deps(name) {
  const common = { openRecord };
  if (name === 'numbers') return { ...common, openBulkPreview, setTabCount: renderNumbersTabCount };
  if (name !== 'settings') return common;
  return {
    ...common,
    facts: () => facts,
    changeSetup: () => showSetup(),
    signOut,
    statusChanged: (status) => {
      facts.status = status;
      renderAccountChip();
    },
  };
}

function mountView(name) {
  if (views[name]) return Promise.resolve(views[name]);
  mounting[name] = mounting[name] || VIEW_MODULES[name]().then((module) => {
    // Unassign's card sits under the view's title (the quick window shows the same card).
    const root = name === 'unassign' ? byId('main-unassign') : byId(`view-${name}`);
    views[name] = module.mount(root, deps(name));
    return views[name];
  });
  return mounting[name];
}

// Shows one view. Its section stays hidden until its module is loaded and the view has
// rendered what it shows, so nothing on screen is a control without its handler yet.
async function selectView(name, { focus = true } = {}) {
  current = name;
  for (const tab of document.querySelectorAll('.tab')) {
    if (tab.dataset.view === name) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
    if (tab.dataset.view !== name) byId(`view-${tab.dataset.view}`).hidden = true;
  }
  let view;
  try {
    view = await mountView(name);
  } catch (error) {
    delete mounting[name];
    banner('error', {
      message: `NumberDesk could not open ${name}: ${String(error)}`,
      hint: 'Close NumberDesk and start it again.',
      requestId: null,
    });
    return null;
  }
  await view.show();
  if (current !== name) return view; // another tab was chosen meanwhile
  byId(`view-${name}`).hidden = false;
  if (focus) byId(`${name}-title`).focus();
  return view;
}

// The Numbers view's selection, previewed by the Bulk view's one engine.
async function openBulkPreview(preview) {
  const bulk = await selectView('bulk', { focus: false });
  if (bulk) bulk.openPreview(preview);
}

// "Numbers 4": the numbers on leavers, once the lens was opened.
function renderNumbersTabCount(count) {
  const badge = byId('numbers-tab-count');
  badge.hidden = count === null || count === undefined;
  badge.replaceChildren();
  if (badge.hidden) return;
  const words = document.createElement('span');
  words.className = 'visually-hidden';
  words.textContent = ' on leavers';
  badge.append(count.toLocaleString(), words);
}

async function openRecord(id) {
  const history = await selectView('history', { focus: false });
  if (history) await history.openRecord(id);
}

function renderBanners() {
  const { info } = facts;
  if (info.demo) {
    const demo = banner('demo', 'Demo tenant — a simulated organisation, not Microsoft. Nothing you do here touches a real Microsoft 365 tenant, and its data stays apart from yours. ');
    const leave = document.createElement('button');
    leave.type = 'button';
    leave.id = 'leave-demo';
    leave.className = 'quiet banner-action';
    leave.textContent = 'Leave the demo and set up my organization';
    leave.addEventListener('click', () => call('leave_demo').catch((problem) => banner('error', problem)));
    demo.append(leave);
  } else if (info.endpoints && !info.endpoints.microsoft) {
    banner('custom', `These endpoints are not Microsoft’s: sign-in goes to ${info.endpoints.loginUrl} and Graph calls to ${info.endpoints.graphUrl}.`);
  }
  if (info.ignoredHooks && info.ignoredHooks.length > 0) {
    setupPage().then((page) => banner('ignored', page.ignoredHooksText(info.ignoredHooks)));
  }
}

function showStartupProblem(problem) {
  byId('startup-problem-message').textContent = problem.message;
  byId('startup-problem-hint').textContent = problem.hint;
  const id = byId('startup-problem-id');
  id.hidden = !problem.requestId;
  id.textContent = problem.requestId ? `Correlation ID for support: ${problem.requestId}` : '';
  showPage('startup-problem');
}

function renderAccountChip() {
  const account = (facts.status && facts.status.account) || {};
  const chip = byId('account-chip');
  chip.textContent = account.name || account.username || '';
  // The full account when a narrow window cuts the name short.
  chip.title = [account.name, account.username].filter(Boolean).join(' · ');
}

function openShell(status, { focus = false } = {}) {
  facts.status = status;
  renderAccountChip();
  showPage('shell');
  return selectView('unassign', { focus });
}

async function showSetup() {
  (await setupPage()).showSetup(facts.setup, afterSetup, (cloud) => setUpForMyOrganization(cloud));
}

async function showSignIn(problem, note = '') {
  byId('account-chip').textContent = '';
  (await signInPage()).showSignIn(facts.setup, problem, {
    signedIn: (status) => openShell(status, { focus: true }),
    changeSetup: () => showSetup(),
    note,
  });
}

// "Set up for my organization": NumberDesk registers itself, then the normal sign-in follows.
async function setUpForMyOrganization(cloud) {
  (await registerPage()).startRegister(cloud, {
    ready: async (setup, changes) => {
      facts.setup = setup;
      await call('complete_first_run').catch(() => {});
      await showSignIn(null, `NumberDesk is set up in your organisation. ${changes.join(' ')} Sign in to start.`);
    },
    manual: async () => {
      await call('complete_first_run').catch(() => {});
      await route();
    },
    back: () => {
      if (facts.info.firstRunDone) route();
      else showWelcome();
    },
  });
}

function showWelcome() {
  const { info } = facts;
  byId('welcome-demo').hidden = !info.demo;
  // The demo shows the whole setup too, against its simulated tenant: "Set up for my
  // organization" beside "Get started" (the demo's ready-made app). Its own way in and the
  // manual path are the real setup's.
  byId('welcome-real').querySelector('[aria-labelledby=welcome-manual-title]').hidden = info.demo;
  byId('welcome-real').querySelector('[aria-labelledby=welcome-demo-title]').hidden = info.demo;
  byId('welcome-auto-demo').hidden = !info.demo;
  byId('welcome-real').hidden = false;
  if (!info.demo) {
    // Beside the other two ways in: the manual path keeps its button (and its id).
    const manual = byId('welcome-real').querySelector('[aria-labelledby=welcome-manual-title]');
    const button = byId('welcome-continue');
    button.textContent = 'Enter the details myself';
    button.classList.remove('primary');
    manual.append(button);
  }
  // A cloud fixed at launch (the demo's, NUMBERDESK_* endpoints) is the one setup uses.
  byId('welcome-cloud-field').hidden = Boolean(info.endpoints);
  showPage('welcome');
  byId(info.demo ? 'welcome-continue' : 'welcome-auto-setup').focus();
}

async function signOut() {
  try {
    await call('sign_out');
  } catch (problem) {
    await showSignIn(problem);
    return;
  }
  await showSignIn(null);
}

async function afterSetup(view) {
  if (view) facts.setup = view;
  await route();
}

// Decides which page to show: setup, sign-in, or the shell.
async function route() {
  try {
    facts.setup = await call('get_setup');
  } catch (problem) {
    showStartupProblem(problem);
    return;
  }
  if (!facts.setup.complete) {
    await showSetup();
    return;
  }
  let status;
  try {
    status = await call('session_status');
  } catch (problem) {
    await showSignIn(problem);
    return;
  }
  if (status.signedIn) await openShell(status);
  else await showSignIn(null);
}

// What the app tells the window: a record to open, sign in again, a second launch, a change.
function listenToTheApp() {
  listen(EVENTS.openRecord, (id) => {
    if (!byId('shell').hidden) openRecord(id);
  });
  listen(EVENTS.showSignIn, async (signOutFirst) => {
    if (signOutFirst) await call('sign_out').catch(() => {});
    byId('account-chip').textContent = '';
    await route();
  });
  listen(EVENTS.secondInstance, () => {
    // Another launch was folded into this window (tests read this counter).
    const root = document.documentElement;
    root.dataset.secondInstance = String(Number(root.dataset.secondInstance || 0) + 1);
  });
  // Views not opened yet have nothing on screen to keep up to date.
  listen(EVENTS.operationUpdated, (record) => {
    for (const view of Object.values(views)) {
      if (view.operationUpdated) view.operationUpdated(record);
    }
  });
}

async function start() {
  // Asked first, so the first screen's facts are on their way while the page wires itself up.
  const infoAnswer = call('app_info');
  wireCopyButtons();
  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => selectView(tab.dataset.view));
  }
  // The sign-in died (revoked, expired, password changed): say so on the sign-in screen.
  // Settings and history stay as they are.
  window.addEventListener('numberdesk:sign-in-again', (event) => {
    if (!byId('shell').hidden && facts.setup) showSignIn(event.detail);
  });
  byId('welcome-auto-setup').addEventListener('click', () => setUpForMyOrganization(byId('welcome-cloud').value));
  byId('welcome-try-demo').addEventListener('click', async () => {
    try {
      await call('try_demo');
    } catch (problem) {
      showProblem(byId('welcome-problem'), problem);
    }
  });
  byId('welcome-continue').addEventListener('click', async () => {
    try {
      await call('complete_first_run');
    } catch (problem) {
      banner('error', problem);
    }
    await route();
  });

  try {
    facts.info = await infoAnswer;
  } catch (problem) {
    showStartupProblem(problem);
    return;
  }
  renderBanners();
  if (facts.info.startupProblem) {
    showStartupProblem(facts.info.startupProblem);
  } else if (!facts.info.firstRunDone) {
    showWelcome();
  } else {
    // Fetched beside the setup and sign-in questions: the shell opens on Unassign.
    mountView('unassign').catch(() => {});
    await route();
  }
  // Ready means laid out: reading a layout figure makes WebKit lay the screen out first.
  document.body.getBoundingClientRect();
  call('ui_ready').catch(() => {});
  // After the first screen, so that app_info's answer does not queue behind these
  // registrations (15–35 ms on this machine). Until then nothing needs them: no view is
  // mounted and the tray, the source of most of these events, comes after the first screen.
  listenToTheApp();
}

start();
