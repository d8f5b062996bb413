// The History view: every change, newest first, filtered by status and text, with a detail
// panel, re-assign (undo), check again, and CSV export. `mount(root)` wires the view's markup
// in index.html and returns the methods the shell calls; all state lives in the mount.
import { call } from './ipc.mjs';
import { showProblem } from './dom.mjs';
import { renderChip, formatTime } from './status.mjs';
import { assignmentCategory, assignmentTarget, exportedText, numberType, person, withGraphValue } from './words.mjs';
import { OPERATIONS } from './contract.mjs';

const PAGE = 100;

function who(record) {
  return person(record.priorAssignee, { inSentence: true }) || '—';
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

// "User, Primary number": how the number was assigned, in words.
function assignedAs(prior) {
  return [
    prior.targetKind && assignmentTarget(prior.targetKind),
    prior.category && assignmentCategory(prior.category),
  ].filter(Boolean).join(', ');
}

export function mount(root) {
  const el = (id) => root.querySelector(`#${id}`);
  let group = 'all';
  let text = '';
  let records = [];
  let nextBeforeId = null;
  let selected = null;
  let searchTimer = null;

  const query = (beforeId) => ({ group, text, beforeId, limit: PAGE });

  function notice(message) {
    el('history-notice').hidden = !message;
    el('history-notice').textContent = message || '';
  }

  function problem(p) {
    showProblem(el('history-problem'), p);
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
    change.textContent = record.kind === OPERATIONS.assign ? 'Re-assign' : 'Unassign';
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
    el('history-rows').replaceChildren(...records.map(row));
    el('history-empty').hidden = records.length > 0;
    el('history-more').hidden = nextBeforeId === null;
  }

  function renderCounts(counts) {
    for (const count of root.querySelectorAll('[data-count]')) {
      const n = counts[count.dataset.count];
      count.textContent = n === undefined ? '' : `(${n.toLocaleString()})`;
    }
  }

  async function load({ append = false } = {}) {
    try {
      const page = await call('history_list', { query: query(append ? nextBeforeId : null) });
      records = append ? records.concat(page.records) : page.records;
      nextBeforeId = page.nextBeforeId;
      renderCounts(page.counts);
      renderRows();
      problem(null);
      if (page.notice) notice(page.notice);
    } catch (p) {
      problem(p);
    }
  }

  function renderDetail(record) {
    el('history-detail').hidden = false;
    el('detail-title').textContent = `${record.kind === OPERATIONS.assign ? 'Re-assign' : 'Unassign'} ${record.numberDisplay || record.telephoneNumber}`;
    renderChip(el('detail-status'), record.status);
    const dl = el('detail-facts');
    dl.replaceChildren();
    const prior = record.priorAssignee || {};
    fact(dl, 'Number', record.telephoneNumber);
    fact(dl, 'Number type', withGraphValue(numberType(record.numberType, ''), record.numberType));
    fact(dl, record.kind === OPERATIONS.assign ? 'Assigned to' : 'Taken from', prior.name);
    fact(dl, 'User name', prior.upn);
    fact(dl, 'Object ID', prior.id);
    fact(dl, 'Assigned as', assignedAs(prior));
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
    showProblem(el('detail-problem'), record.error);
    el('detail-reassign').hidden = !record.canReassign;
    el('detail-check').hidden = !record.canCheckAgain;
  }

  async function select(id) {
    selected = id;
    for (const tr of el('history-rows').children) {
      if (Number(tr.dataset.id) === id) tr.setAttribute('aria-selected', 'true');
      else tr.removeAttribute('aria-selected');
    }
    try {
      renderDetail(await call('history_get', { id }));
      problem(null);
      el('detail-title').focus();
    } catch (p) {
      problem(p);
    }
  }

  el('history-text').addEventListener('input', (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      text = event.target.value;
      load();
    }, 200);
  });
  const chips = root.querySelectorAll('.chip-filter');
  for (const chip of chips) {
    chip.addEventListener('click', () => {
      group = chip.dataset.group;
      for (const other of chips) other.setAttribute('aria-pressed', String(other === chip));
      load();
    });
  }
  el('history-more').addEventListener('click', () => load({ append: true }));
  el('history-export').addEventListener('click', async () => {
    try {
      const exported = await call('history_export', { query: query(null) });
      problem(null);
      notice(exportedText(exported, 'change'));
    } catch (p) {
      problem(p);
    }
  });
  const dialog = el('reassign-dialog');
  el('detail-reassign').addEventListener('click', async () => {
    let record;
    try {
      record = await call('history_get', { id: selected });
    } catch (p) {
      showProblem(el('detail-problem'), p);
      return;
    }
    const prior = record.priorAssignee || {};
    const category = prior.category ? `, ${assignmentCategory(prior.category).toLowerCase()}` : '';
    el('reassign-title').textContent = `Give ${record.numberDisplay || record.telephoneNumber} back to ${person(prior, { inSentence: true })}?`;
    el('reassign-body').textContent = `NumberDesk asks Microsoft to assign the number again as it was: ${numberType(record.numberType)}${category}${prior.locationId ? ', with the same emergency location' : ''}.`;
    el('reassign-ok').disabled = false;
    dialog.showModal();
    el('reassign-cancel').focus();
  });
  el('reassign-cancel').addEventListener('click', () => dialog.close());
  el('reassign-ok').addEventListener('click', async () => {
    el('reassign-ok').disabled = true;
    dialog.close();
    try {
      const record = await call('reassign_number', { recordId: selected });
      await load();
      await select(record.id);
    } catch (p) {
      showProblem(el('detail-problem'), p);
    }
  });
  el('detail-check').addEventListener('click', async () => {
    try {
      renderDetail(await call('check_operation_again', { recordId: selected }));
    } catch (p) {
      showProblem(el('detail-problem'), p);
    }
  });

  return {
    // The shell shows the view: the list as it is now.
    show: () => load(),
    // Opens one record's detail (from the Unassign card, a bulk row, the tray).
    openRecord: (id) => select(id),
    // Keeps the list and the detail panel live as operations move.
    operationUpdated(record) {
      const index = records.findIndex((r) => r.id === record.id);
      if (index >= 0) {
        records[index] = record;
        renderRows();
      } else if (!root.hidden) {
        load();
      }
      if (record.id === selected) renderDetail(record);
    },
  };
}
