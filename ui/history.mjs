// The History view: every change, newest first, filtered by status and text, with a detail
// panel, re-assign (undo), check again, and CSV export.
import { call } from './ipc.mjs';
import { byId, showProblem } from './dom.mjs';
import { renderChip, formatTime } from './status.mjs';

const PAGE = 100;
let group = 'all';
let text = '';
let records = [];
let nextBeforeId = null;
let selected = null;
let searchTimer = null;

function query(beforeId) {
  return { group, text, beforeId, limit: PAGE };
}

function who(record) {
  const prior = record.priorAssignee || {};
  return prior.name || prior.upn || prior.id || '—';
}

function row(record) {
  const tr = document.createElement('tr');
  tr.dataset.id = record.id;
  if (record.id === selected) tr.setAttribute('aria-selected', 'true');
  const when = document.createElement('td');
  when.textContent = formatTime(record.requestedAt);
  const number = document.createElement('td');
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'link';
  open.textContent = record.numberDisplay || record.telephoneNumber;
  open.addEventListener('click', () => select(record.id));
  number.append(open);
  const change = document.createElement('td');
  change.textContent = record.kind === 'assign' ? 'Re-assign' : 'Unassign';
  const assignee = document.createElement('td');
  assignee.textContent = who(record);
  const status = document.createElement('td');
  const chip = document.createElement('span');
  chip.className = 'chip';
  renderChip(chip, record.status);
  status.append(chip);
  tr.append(when, number, change, assignee, status);
  tr.addEventListener('click', (event) => {
    if (event.target.tagName !== 'BUTTON') select(record.id);
  });
  return tr;
}

function renderRows() {
  byId('history-rows').replaceChildren(...records.map(row));
  byId('history-empty').hidden = records.length > 0;
  byId('history-more').hidden = nextBeforeId === null;
}

function renderCounts(counts) {
  for (const el of document.querySelectorAll('[data-count]')) {
    const n = counts[el.dataset.count];
    el.textContent = n === undefined ? '' : `(${n.toLocaleString()})`;
  }
}

export async function loadHistory({ append = false } = {}) {
  try {
    const page = await call('history_list', { query: query(append ? nextBeforeId : null) });
    records = append ? records.concat(page.records) : page.records;
    nextBeforeId = page.nextBeforeId;
    renderCounts(page.counts);
    renderRows();
    if (page.notice) notice(page.notice);
  } catch (problem) {
    notice(`${problem.message} ${problem.hint}`);
  }
}

function notice(message) {
  const el = byId('history-notice');
  el.hidden = !message;
  el.textContent = message || '';
}

function fact(dl, label, value, { copy = false } = {}) {
  if (value === null || value === undefined || value === '') return;
  const dt = document.createElement('dt');
  dt.textContent = label;
  const dd = document.createElement('dd');
  if (copy) {
    dd.className = 'copy-row';
    const code = document.createElement('code');
    code.id = `detail-copy-${dl.children.length}`;
    code.textContent = value;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy';
    button.dataset.copyFrom = code.id;
    button.textContent = 'Copy';
    dd.append(code, button);
  } else {
    dd.textContent = value;
  }
  dl.append(dt, dd);
}

function renderDetail(record) {
  const panel = byId('history-detail');
  panel.hidden = false;
  byId('detail-title').textContent = `${record.kind === 'assign' ? 'Re-assign' : 'Unassign'} ${record.numberDisplay || record.telephoneNumber}`;
  renderChip(byId('detail-status'), record.status);
  const dl = byId('detail-facts');
  dl.replaceChildren();
  const prior = record.priorAssignee || {};
  fact(dl, 'Number', record.telephoneNumber);
  fact(dl, 'Number type', record.numberType);
  fact(dl, record.kind === 'assign' ? 'Assigned to' : 'Taken from', prior.name);
  fact(dl, 'User name', prior.upn);
  fact(dl, 'Object ID', prior.id);
  fact(dl, 'Assigned as', [prior.targetKind, prior.category].filter(Boolean).join(', '));
  fact(dl, 'Emergency location ID', prior.locationId);
  fact(dl, 'Requested', formatTime(record.requestedAt));
  fact(dl, 'By', record.actor && [record.actor.upn, record.actor.cloud].filter(Boolean).join(' — '));
  fact(dl, 'Tenant', record.actor && record.actor.tenantId);
  fact(dl, 'Status detail', record.statusDetail);
  fact(dl, 'Settled', formatTime(record.settledAt));
  fact(dl, 'Operation address', record.location, { copy: true });
  fact(dl, 'Request ID', record.requestId, { copy: true });
  fact(dl, 'Client request ID', record.clientRequestId, { copy: true });
  fact(dl, 'Microsoft’s date', record.responseDate);
  fact(dl, 'Undoes change', record.undoOf ? `#${record.undoOf}` : null);
  fact(dl, 'Local ID', `#${record.id}`);
  showProblem(byId('detail-problem'), record.error);
  byId('detail-reassign').hidden = !record.canReassign;
  byId('detail-check').hidden = !record.canCheckAgain;
}

export async function select(id) {
  selected = id;
  for (const tr of byId('history-rows').children) {
    if (Number(tr.dataset.id) === id) tr.setAttribute('aria-selected', 'true');
    else tr.removeAttribute('aria-selected');
  }
  try {
    const record = await call('history_get', { id });
    renderDetail(record);
    byId('detail-title').focus();
  } catch (problem) {
    notice(`${problem.message} ${problem.hint}`);
  }
}

// Keeps the list and the detail panel live as operations move.
export function historyOperationUpdated(record) {
  const index = records.findIndex((r) => r.id === record.id);
  if (index >= 0) {
    records[index] = record;
    renderRows();
  } else if (!byId('view-history').hidden) {
    loadHistory();
  }
  if (record.id === selected) renderDetail(record);
}

export function wireHistory() {
  byId('history-text').addEventListener('input', (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      text = event.target.value;
      loadHistory();
    }, 200);
  });
  for (const chip of document.querySelectorAll('.chip-filter')) {
    chip.addEventListener('click', () => {
      group = chip.dataset.group;
      for (const other of document.querySelectorAll('.chip-filter')) {
        other.setAttribute('aria-pressed', String(other === chip));
      }
      loadHistory();
    });
  }
  byId('history-more').addEventListener('click', () => loadHistory({ append: true }));
  byId('history-export').addEventListener('click', async () => {
    try {
      const exported = await call('history_export', { query: query(null) });
      notice(`Exported ${exported.count.toLocaleString()} changes to ${exported.path}`);
    } catch (problem) {
      notice(`${problem.message} ${problem.hint}`);
    }
  });
  const dialog = byId('reassign-dialog');
  byId('detail-reassign').addEventListener('click', async () => {
    const record = await call('history_get', { id: selected });
    const prior = record.priorAssignee || {};
    byId('reassign-title').textContent = `Give ${record.numberDisplay || record.telephoneNumber} back to ${prior.name || prior.upn || prior.id}?`;
    byId('reassign-body').textContent = `NumberDesk asks Microsoft to assign the number again as it was: ${record.numberType}${prior.category ? `, ${prior.category}` : ''}${prior.locationId ? ', with the same emergency location' : ''}.`;
    byId('reassign-ok').disabled = false;
    dialog.showModal();
    byId('reassign-cancel').focus();
  });
  byId('reassign-cancel').addEventListener('click', () => dialog.close());
  byId('reassign-ok').addEventListener('click', async () => {
    byId('reassign-ok').disabled = true;
    dialog.close();
    try {
      const record = await call('reassign_number', { recordId: selected });
      await loadHistory();
      await select(record.id);
    } catch (problem) {
      showProblem(byId('detail-problem'), problem);
    }
  });
  byId('detail-check').addEventListener('click', async () => {
    try {
      renderDetail(await call('check_operation_again', { recordId: selected }));
    } catch (problem) {
      showProblem(byId('detail-problem'), problem);
    }
  });
}
