// The setup screen: cloud, tenant and client ID, checked as they are typed.
import { call } from './ipc.mjs';
import { PROBLEMS } from './contract.mjs';
import { byId, showPage, showProblem } from './dom.mjs';
import { lockedText } from './words.mjs';

const FIELDS = { cloud: 'setup-cloud', tenant: 'setup-tenant', clientId: 'setup-client-id' };

// NUMBERDESK_* variables that IT's preset overruled, in a sentence (empty when none).
export function ignoredHooksText(names) {
  if (!names || names.length === 0) return '';
  const list = names.join(', ');
  return `Your IT department’s preset is in force: ${list} ${names.length === 1 ? 'was' : 'were'} ignored.`;
}

let onSaved = () => {};
let onAuto = () => {};
let touched = new Set();

function formValue() {
  return {
    cloud: byId(FIELDS.cloud).value,
    tenant: byId(FIELDS.tenant).value,
    clientId: byId(FIELDS.clientId).value,
  };
}

function showCloudWarning() {
  const cloud = byId(FIELDS.cloud).value;
  byId('setup-cloud-warning').hidden = ['global', 'custom', 'demo'].includes(cloud);
}

function renderFieldProblems(problems) {
  for (const [field, id] of Object.entries(FIELDS)) {
    if (field === 'cloud') continue;
    const problem = problems.find((p) => p.field === field);
    const input = byId(id);
    const shown = problem && touched.has(field) && !input.disabled;
    byId(`${id}-error`).textContent = shown ? problem.message : '';
    if (shown) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

// Warnings (accepted, but worth knowing) show whatever was touched: they never block saving.
function renderFieldWarnings(warnings) {
  const warning = (warnings || []).find((w) => w.field === 'tenant');
  const box = byId('setup-tenant-warning');
  box.textContent = warning ? warning.message : '';
  box.hidden = !warning;
}

async function check() {
  showCloudWarning();
  try {
    const { problems, warnings } = await call('check_setup', { setup: formValue() });
    renderFieldProblems(problems);
    renderFieldWarnings(warnings);
  } catch {
    // Checking as you type is a help; the save below reports problems for real.
  }
}

export function renderSetup(view) {
  byId(FIELDS.cloud).value = view.cloud;
  byId(FIELDS.tenant).value = view.tenant;
  byId(FIELDS.clientId).value = view.clientId;
  byId(FIELDS.cloud).disabled = view.locks.cloud;
  byId(FIELDS.tenant).disabled = view.locks.tenant;
  byId(FIELDS.clientId).disabled = view.locks.clientId;
  const note = byId('setup-locked-note');
  note.hidden = !view.lockedBy;
  note.textContent = lockedText(view);
  const ignored = ignoredHooksText(view.ignoredHooks);
  if (ignored) note.textContent += ` ${ignored}`;
  // "Set up for my organization" fills in the tenant and client ID: not offered where they are
  // fixed. The demo fixes only its endpoints, and setup runs there against its simulated tenant.
  byId('setup-auto').hidden = view.lockedBy === 'managed' || view.locks.tenant || view.locks.clientId;
  byId('setup-save').textContent = view.locks.cloud && view.locks.tenant && view.locks.clientId
    ? 'Continue'
    : 'Save and continue';
  showProblem(byId('setup-preset-problem'), view.presetProblem);
  showProblem(byId('setup-save-problem'), null);
  touched = new Set(['tenant', 'clientId'].filter((f) => view[f] !== ''));
  showCloudWarning();
  renderFieldProblems(view.problems);
  renderFieldWarnings(view.warnings);
}

export function showSetup(view, saved, auto) {
  onSaved = saved;
  onAuto = auto;
  renderSetup(view);
  showPage('setup');
  const first = [FIELDS.cloud, FIELDS.tenant, FIELDS.clientId].map(byId).find((el) => !el.disabled);
  (first || byId('setup-save')).focus();
}

export function wireSetup() {
  for (const [field, id] of Object.entries(FIELDS)) {
    const input = byId(id);
    input.addEventListener('input', () => { touched.add(field); check(); });
    input.addEventListener('change', () => { touched.add(field); check(); });
    input.addEventListener('blur', () => { touched.add(field); check(); });
  }
  byId('setup-auto').addEventListener('click', () => {
    const cloud = byId(FIELDS.cloud).value;
    onAuto(['custom', 'demo'].includes(cloud) ? 'global' : cloud);
  });
  byId('setup-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    touched = new Set(Object.keys(FIELDS));
    try {
      const view = await call('save_setup', { setup: formValue() });
      renderSetup(view);
      if (view.complete) onSaved(view);
    } catch (problem) {
      if (problem.kind === PROBLEMS.setupLocked) {
        onSaved(null);
        return;
      }
      await check();
      showProblem(byId('setup-save-problem'), problem);
    }
  });
}
