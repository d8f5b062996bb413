// The Bulk view: paste a list or open a CSV (numbers, or people: HR's list of user names and
// emails), choose the column, preview every row (a person with the numbers that will go),
// untick what should stay, confirm once, then follow the run row by row. Past runs can be
// exported, their failed rows run again, or undone. `mount(root, deps)` wires the view's
// markup in index.html and returns the methods the shell calls; all state lives in the mount.
import { call, listen } from './ipc.mjs';
import { cell, chip, showProblem } from './dom.mjs';
import {
  BATCH_CHOICES, BULK_ACTIONS, EVENTS, FILE_NAME_HEADER, OPERATIONS, RUN_STATES,
} from './contract.mjs';
import { formatTime, statusLabel } from './status.mjs';
import { assignmentCategory, exportedText, numberType, person, targetKind } from './words.mjs';

// Where a row of a run stands: a word and a symbol, never colour alone.
const PHASES = {
  waiting: ['Waiting', 'other', '·'],
  sending: ['Sending', 'progress', '…'],
  accepted: ['Accepted, in progress', 'progress', '…'],
  outcomeUnknown: ['Checking the outcome', 'unknown', '?'],
  succeeded: ['Succeeded', 'ok', '✓'],
  failed: ['Failed', 'bad', '✗'],
  notConfirmed: ['Not confirmed yet', 'unknown', '?'],
  rejected: ['Refused by Microsoft', 'bad', '✗'],
  notSent: ['Not sent', 'other', '–'],
  skipped: ['Skipped — not changed', 'other', '–'],
  leftOpen: ['Still open', 'unknown', '?'],
};

const SKIPS = {
  invalid: 'Not a number',
  duplicate: 'Duplicate',
  notFound: 'Not in tenant',
  notAssigned: 'Not assigned',
  inFlight: 'Change in progress',
  unreadable: 'Unreadable entry',
  notSucceeded: 'Did not succeed',
  cannotUndo: 'Cannot undo',
  assignedAgain: 'Assigned again',
  holderChanged: 'Holder changed',
  noSuchUser: 'No such user',
  noNumbers: 'No number',
  severalPeople: 'Several people',
  personUnresolved: 'Not readable',
  peopleNotPermitted: 'Permission missing',
};

// What came of a person row, when their numbers go (the skips say the rest).
function personNote(about) {
  const who = about.person;
  if (who && who.guest) return 'A guest from another organisation.';
  if (about.resourceAccount) return 'A resource account (an auto attendant or call queue), not a person.';
  return '';
}

// The line above a person's numbers: "Line 2 · allan.deyoung@contoso.com → Allan Deyoung
// (alland@…) · 2 numbers will go".
function personHeading(row, columns) {
  const about = row.person;
  const tr = document.createElement('tr');
  tr.className = 'bulk-person';
  const th = document.createElement('th');
  th.scope = 'rowgroup';
  th.colSpan = columns;
  const account = about.person || {};
  const who = person(account);
  const count = about.numbers === 1 ? '1 number' : `${about.numbers.toLocaleString()} numbers`;
  // What the list said, when it is not the user name shown anyway (an email, a name).
  const asked = String(about.query).toLowerCase() === String(account.upn || '').toLowerCase() ? '' : `${about.query} → `;
  const line = document.createElement('span');
  line.textContent = `Line ${row.line} · ${asked}${who} · ${count}`;
  th.append(line);
  const note = personNote(about);
  if (note) th.append(' ', chip('other', note));
  tr.append(th);
  return tr;
}

function countsChips(counts, kind) {
  const list = [];
  const verb = kind === OPERATIONS.assign ? 'to give back' : 'to unassign';
  list.push(chip('progress', `${counts.toSend.toLocaleString()} ${verb}`));
  const skipped = [
    [counts.invalid, 'not a number', 'not numbers'],
    [counts.duplicate, 'duplicate', 'duplicates'],
    [counts.notFound, 'not in your tenant', 'not in your tenant'],
    [counts.notAssigned, 'not assigned', 'not assigned'],
    [counts.inFlight, 'already changing', 'already changing'],
    [counts.unreadable, 'unreadable entry', 'unreadable entries'],
    [counts.holderChanged, 'now held by someone else', 'now held by someone else'],
    [counts.noSuchUser, 'no such user', 'no such users'],
    [counts.noNumbers, 'person without a number', 'people without a number'],
    [counts.severalPeople, 'name of several people', 'names of several people'],
    [counts.peopleUnresolved, 'person not readable', 'people not readable'],
    [counts.peopleNotPermitted, 'person not looked up', 'people not looked up'],
  ];
  for (const [n, one, many] of skipped) {
    if (n > 0) list.push(chip('other', `– ${n.toLocaleString()} ${n === 1 ? one : many}`));
  }
  const untickedCount = counts.rows - counts.toSend - skipped.reduce((sum, [n]) => sum + n, 0);
  if (untickedCount > 0) list.push(chip('other', `– ${untickedCount.toLocaleString()} left out`));
  list.push(chip('other', `${counts.rows.toLocaleString()} rows in all`));
  if (counts.people > 0) {
    list.push(chip('other', `${counts.people.toLocaleString()} ${counts.people === 1 ? 'person' : 'people'} in the list`));
  }
  return list;
}

// "Adele Vance (adele@…) · User", or the object id when the name could not be read.
function assigneeText(kind, row) {
  const who = person({ name: row.assigneeName, upn: row.assigneeUpn, id: row.assignee });
  return [who, kind].filter(Boolean).join(' · ');
}

function phaseChip(phase) {
  const [label, tone, symbol] = PHASES[phase] || [phase, 'other', '–'];
  return chip(tone, `${symbol} ${label}`);
}

function duration(seconds) {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function statusSummary(statuses, neverSent) {
  const parts = Object.entries(statuses)
    .map(([status, n]) => `${n} ${statusLabel(status).label.toLowerCase()}`);
  if (neverSent > 0) parts.push(`${neverSent} not sent`);
  return parts.join(', ');
}

export function mount(root, { openRecord = () => {} } = {}) {
  const el = (id) => root.querySelector(`#${id}`);
  let input = null; // the list read last (InputView)
  let preview = null; // the preview on screen (PreviewView)
  const unticked = new Set();
  let run = null; // { kind, confirmation, rows, progress }
  let rowCells = []; // per run row: { status, detail, link }
  let dialogAction = null;

  function setBusy(text) {
    el('bulk-busy').textContent = text || '';
  }

  function problem(p) {
    showProblem(el('bulk-problem'), p);
  }

  // ----- Input ---------------------------------------------------------------------------------

  // `args`: { source } for pasted text, or a file's bytes (sent as the raw request body, with
  // its name in `options.headers`).
  async function read(args, options) {
    problem(null);
    setBusy('Reading the list…');
    el('bulk-preview').hidden = true;
    try {
      input = await call('bulk_read', args, options);
    } catch (p) {
      setBusy('');
      problem(p);
      return;
    }
    const field = el('bulk-column-field');
    const select = el('bulk-column');
    select.replaceChildren();
    if (input.columns.length > 1) {
      if (input.column === null) {
        const choose = document.createElement('option');
        choose.value = '';
        choose.textContent = 'Choose the column…';
        select.append(choose);
      }
      for (const column of input.columns) {
        const option = document.createElement('option');
        option.value = String(column.index);
        const samples = column.samples.length ? ` — ${column.samples.join(', ')}` : '';
        option.textContent = `${column.name}${samples}`;
        select.append(option);
      }
      select.value = input.column === null ? '' : String(input.column);
      el('bulk-column-help').textContent = input.column === null
        ? `${input.source}: ${input.rows.toLocaleString()} rows. Which column has the phone numbers, user names or emails?`
        : `${input.source}: ${input.rows.toLocaleString()} rows. NumberDesk chose this column; change it if it is wrong.`;
      field.hidden = false;
    } else {
      field.hidden = true;
    }
    if (input.column === null) {
      setBusy('');
      select.focus();
      return;
    }
    await showPreview(input.column);
  }

  async function showPreview(column) {
    problem(null);
    setBusy(`Looking up ${input.rows.toLocaleString()} rows…`);
    try {
      renderPreview(await call('bulk_preview', { inputId: input.inputId, column }));
    } catch (p) {
      problem(p);
    } finally {
      setBusy('');
    }
  }

  // ----- Preview -------------------------------------------------------------------------------

  function renderPreview(view) {
    preview = view;
    unticked.clear();
    const undo = view.kind === OPERATIONS.assign;
    el('bulk-preview-title').textContent = undo
      ? 'Preview: give the numbers back'
      : view.fromBatch ? 'Preview: the failed rows, looked up again' : 'Preview';
    el('bulk-who-heading').textContent = undo ? 'Gives back to' : 'Assigned to';
    const rows = [];
    view.rows.forEach((row, index) => {
      const about = row.person;
      // A person whose numbers go: a line naming them above their numbers.
      if (about && about.first && about.numbers > 0) rows.push(personHeading(row, 6));
      const tr = document.createElement('tr');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = !row.skip;
      box.disabled = Boolean(row.skip);
      box.setAttribute('aria-label', `Send line ${row.line}${row.display && about ? ` (${row.display})` : ''}`);
      box.addEventListener('change', () => toggle(index, box.checked));
      if (row.skip) tr.dataset.skipped = row.skip;
      if (about) tr.dataset.person = about.outcome;
      const a = row.assignment || {};
      const what = row.skip
        ? [chip('other', `– ${SKIPS[row.skip] || row.skip}`), document.createTextNode(` ${row.reason || ''}`)]
        : [chip('progress', undo ? '↩ Will be given back' : '→ Will be unassigned')];
      const whatCell = cell('');
      whatCell.append(...what);
      if (about && about.choices.length) {
        const list = document.createElement('ul');
        list.className = 'bulk-choices';
        for (const choice of about.choices) {
          const li = document.createElement('li');
          li.textContent = person(choice);
          list.append(li);
        }
        whatCell.append(list);
      }
      const kind = targetKind(row.target, a.assignmentStatus);
      // A person row without a number shows what it held, and whom it found (if one).
      const number = row.display || row.raw;
      // Under a person's line, their name alone (the line gives the user name).
      let who = assigneeText(kind, row);
      if (about && !row.assignee) who = person(about.person || {});
      else if (about) who = [person(about.person, { inSentence: true }), kind].filter(Boolean).join(' · ');
      // A person's numbers say which of their lines each is (primary, private, alternate).
      const type = cell(numberType(a.numberType, ''));
      const category = about ? assignmentCategory(a.assignmentCategory, '') : '';
      if (category) {
        const small = document.createElement('span');
        small.className = 'bulk-category';
        small.textContent = category;
        type.append(small);
      }
      tr.append(
        cell(box),
        cell(String(row.line)),
        cell(number),
        cell(who),
        type,
        whatCell,
      );
      rows.push(tr);
    });
    el('bulk-preview-rows').replaceChildren(...rows);
    renderSelection(view.selection);
    el('bulk-preview').hidden = false;
    el('bulk-run').hidden = true;
    el('bulk-preview-title').focus();
    el('bulk-preview-title').scrollIntoView({ block: 'start' });
  }

  function renderSelection(selection) {
    el('bulk-preview-counts').replaceChildren(...countsChips(selection.counts, preview.kind));
    const confirm = el('bulk-confirm');
    confirm.textContent = `${selection.confirmation}…`;
    confirm.disabled = selection.counts.toSend === 0;
    confirm.dataset.confirmation = selection.confirmation;
  }

  async function toggle(index, checked) {
    if (checked) unticked.delete(index);
    else unticked.add(index);
    try {
      renderSelection(await call('bulk_select', { previewId: preview.previewId, unticked: [...unticked] }));
    } catch (p) {
      problem(p);
    }
  }

  function askConfirm() {
    const text = el('bulk-confirm').dataset.confirmation;
    const undo = preview.kind === OPERATIONS.assign;
    el('bulk-dialog-title').textContent = `${text}?`;
    el('bulk-dialog-body').textContent = undo
      ? 'NumberDesk asks Microsoft to assign each number again as it was before the run. Numbers assigned to someone since are left alone.'
      : 'NumberDesk sends one request per number and follows each until Microsoft reports it finished. You can pause or cancel; numbers already sent keep being followed. Every row is kept in History.';
    el('bulk-dialog-ok').textContent = text;
    el('bulk-dialog-ok').disabled = false;
    dialogAction = start;
    el('bulk-dialog').showModal();
    el('bulk-dialog-cancel').focus();
  }

  async function start() {
    problem(null);
    try {
      const view = await call('bulk_start', { previewId: preview.previewId, unticked: [...unticked] });
      preview = null;
      el('bulk-preview').hidden = true;
      el('bulk-input-step').hidden = true;
      renderRun(view);
      el('bulk-run-title').focus();
    } catch (p) {
      problem(p);
    }
  }

  // ----- Run -----------------------------------------------------------------------------------

  function renderRun(view) {
    run = view;
    el('bulk-run-who').textContent = view.kind === OPERATIONS.assign ? 'Given back to' : 'Taken from';
    el('bulk-run-title').textContent = view.confirmation;
    rowCells = [];
    const rows = view.rows.map((row) => {
      const tr = document.createElement('tr');
      const status = cell('');
      const detail = cell('');
      const link = cell('');
      rowCells.push({ status, detail, link });
      tr.append(cell(String(row.line)), cell(row.display || row.telephoneNumber), cell(row.assignee || ''), status, detail, link);
      return tr;
    });
    el('bulk-run-rows').replaceChildren(...rows);
    view.rows.forEach(updateRow);
    const resumed = view.resumed;
    el('bulk-resumed').hidden = !resumed;
    if (resumed) {
      el('bulk-resumed').textContent = `Resumed after an interruption: ${resumed.notSentBefore.length} rows had not been sent and are sent now; `
        + `${resumed.sendingAtCrash.length + resumed.outcomeUnknown.length} were being sent and are checked by looking the number up (never sent again); `
        + `${resumed.acceptedBefore.length} accepted rows are followed; ${resumed.settledBefore.length} had finished.`;
    }
    el('bulk-run').hidden = false;
    el('bulk-run-notice').textContent = '';
    updateProgress(view.progress);
  }

  function updateRow(row) {
    const cells = rowCells[row.row];
    if (!cells) return;
    cells.status.replaceChildren(phaseChip(row.phase));
    cells.detail.textContent = row.detail || '';
    if (row.recordId && !cells.link.firstChild) {
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'link';
      open.textContent = `#${row.recordId}`;
      open.setAttribute('aria-label', `Open History record ${row.recordId} for ${row.telephoneNumber}`);
      open.addEventListener('click', () => openRecord(row.recordId));
      cells.link.append(open);
    }
  }

  function updateProgress(progress) {
    if (!run) return;
    run.progress = progress;
    const c = progress.counts;
    const done = c.succeeded + c.failed + c.notConfirmed + c.rejected + c.notSent + c.skipped + c.leftOpen;
    const bar = el('bulk-progress');
    bar.max = Math.max(c.total, 1);
    bar.value = done;
    const state = {
      [RUN_STATES.running]: progress.etaSeconds !== null && progress.etaSeconds !== undefined
        ? `about ${duration(progress.etaSeconds)} left` : 'working…',
      [RUN_STATES.paused]: 'paused: nothing new is sent',
      [RUN_STATES.cancelled]: 'cancelled: rows already sent are followed to the end',
      [RUN_STATES.finished]: 'finished: nothing more to send',
    }[progress.state];
    el('bulk-progress-text').textContent = `${done.toLocaleString()} of ${c.total.toLocaleString()} done — ${state}`;
    const parts = [
      [c.succeeded, 'ok', '✓', 'succeeded'],
      [c.failed, 'bad', '✗', 'failed'],
      [c.notConfirmed, 'unknown', '?', 'not confirmed yet'],
      [c.rejected, 'bad', '✗', 'refused'],
      [c.accepted + c.sending, 'progress', '…', 'in progress'],
      [c.outcomeUnknown, 'unknown', '?', 'being checked'],
      [c.waiting, 'other', '·', 'waiting'],
      [c.notSent, 'other', '–', 'not sent'],
      [c.skipped, 'other', '–', 'skipped: holder changed'],
      [c.leftOpen, 'unknown', '?', 'still open'],
    ];
    el('bulk-run-counts').replaceChildren(...parts.filter(([n]) => n > 0)
      .map(([n, tone, symbol, label]) => chip(tone, `${symbol} ${n.toLocaleString()} ${label}`)));
    const finished = progress.state === RUN_STATES.finished;
    const cancelled = progress.state === RUN_STATES.cancelled;
    el('bulk-pause').hidden = finished || cancelled || progress.state === RUN_STATES.paused;
    el('bulk-resume').hidden = progress.state !== RUN_STATES.paused;
    el('bulk-cancel').hidden = finished || cancelled;
    el('bulk-export').hidden = !finished;
    el('bulk-new').hidden = !finished;
    el('bulk-retry').hidden = !finished || run.kind !== OPERATIONS.unassign || (c.failed + c.rejected) === 0;
    el('bulk-undo').hidden = !finished || run.kind !== OPERATIONS.unassign || c.succeeded === 0;
    if (finished) loadBatches();
  }

  async function control(action, batchId) {
    problem(null);
    try {
      const view = await call('bulk_control', { action, batchId: batchId ?? null });
      if (batchId) {
        el('bulk-input-step').hidden = true;
        el('bulk-preview').hidden = true;
        el('bulk-interrupted').hidden = true;
        renderRun(view);
        el('bulk-run-title').focus();
      } else {
        updateProgress(view.progress);
        view.rows.forEach(updateRow);
      }
    } catch (p) {
      problem(p);
    }
  }

  function onEvent(event) {
    if (!run || event.batchId && event.batchId !== run.progress.batchId) return;
    if (event.type === 'row') updateRow(event);
    else if (event.type === 'progress' && event.batchId === run.progress.batchId) updateProgress(event);
  }

  // ----- Past runs ---------------------------------------------------------------------------

  async function exportBatch(batchId, where, problemBox = el('bulk-problem')) {
    showProblem(problemBox, null);
    try {
      const exported = await call('history_export', { query: { batchId } });
      where.textContent = exportedText(exported);
    } catch (p) {
      where.textContent = '';
      showProblem(problemBox, p);
    }
  }

  async function fromBatch(batchId, what) {
    problem(null);
    setBusy(what === BATCH_CHOICES.undo ? 'Checking who has each number now…' : 'Looking the failed rows up again…');
    try {
      const view = await call('bulk_from_batch', { batchId, what });
      el('bulk-run').hidden = true;
      el('bulk-input-step').hidden = true;
      renderPreview(view);
    } catch (p) {
      problem(p);
    } finally {
      setBusy('');
    }
  }

  function batchItem(batch) {
    const li = document.createElement('li');
    const title = document.createElement('strong');
    title.textContent = batch.summary;
    const when = document.createElement('span');
    when.className = 'help';
    when.textContent = ` — ${formatTime(batch.createdAt)}${batch.interrupted ? ' — interrupted' : ''}`;
    const outcome = document.createElement('p');
    outcome.className = 'help';
    outcome.textContent = statusSummary(batch.statuses, batch.neverSent) || 'Nothing was sent.';
    const actions = document.createElement('div');
    actions.className = 'actions';
    const notice = document.createElement('p');
    notice.className = 'help';
    notice.setAttribute('role', 'status');
    const itemProblem = document.createElement('div');
    itemProblem.className = 'alert';
    itemProblem.setAttribute('role', 'alert');
    itemProblem.hidden = true;
    const button = (label, handler) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.addEventListener('click', handler);
      actions.append(b);
    };
    if (batch.interrupted) button('Resume', () => control(BULK_ACTIONS.resume, batch.id));
    button('Export CSV', () => exportBatch(batch.id, notice, itemProblem));
    if (batch.canRetry) button('Run failed rows again…', () => fromBatch(batch.id, BATCH_CHOICES.retry));
    if (batch.canUndo) button('Undo…', () => fromBatch(batch.id, BATCH_CHOICES.undo));
    li.append(title, when, outcome, actions, notice, itemProblem);
    return li;
  }

  async function loadBatches() {
    try {
      const overview = await call('bulk_overview');
      const list = el('bulk-batch-list');
      list.replaceChildren(...overview.batches.map(batchItem));
      el('bulk-batches').hidden = overview.batches.length === 0;
      const interrupted = overview.batches.filter((b) => b.interrupted);
      const box = el('bulk-interrupted');
      box.hidden = interrupted.length === 0;
      box.textContent = interrupted.length
        ? `${interrupted.length === 1 ? 'A bulk run was' : `${interrupted.length} bulk runs were`} interrupted before finishing (NumberDesk was closed or stopped). What was sent is in History and in “Recent bulk runs” below; Resume sends the rows that were not sent and checks the rest — nothing is sent twice.`
        : '';
      if (overview.run && !run) {
        el('bulk-input-step').hidden = overview.run.progress.state !== RUN_STATES.finished;
        renderRun(overview.run);
      }
    } catch (p) {
      problem(p);
    }
  }

  function reset() {
    input = null;
    preview = null;
    run = null;
    el('bulk-text').value = '';
    el('bulk-file').value = '';
    el('bulk-column-field').hidden = true;
    el('bulk-preview').hidden = true;
    el('bulk-run').hidden = true;
    el('bulk-input-step').hidden = false;
    problem(null);
    el('bulk-text').focus();
  }

  {
    el('bulk-form').addEventListener('submit', (event) => {
      event.preventDefault();
      read({ source: { kind: 'text', text: el('bulk-text').value } });
    });
    el('bulk-file').addEventListener('change', async (event) => {
      const file = event.target.files[0];
      if (!file) return;
      // The bytes as they are, not a JSON array of numbers (about four times the size).
      const bytes = new Uint8Array(await file.arrayBuffer());
      read(bytes, { headers: { [FILE_NAME_HEADER]: encodeURIComponent(file.name) } });
    });
    el('bulk-column').addEventListener('change', (event) => {
      if (event.target.value !== '') showPreview(Number(event.target.value));
    });
    el('bulk-confirm').addEventListener('click', askConfirm);
    el('bulk-discard').addEventListener('click', reset);
    el('bulk-new').addEventListener('click', reset);
    el('bulk-dialog-cancel').addEventListener('click', () => el('bulk-dialog').close());
    el('bulk-dialog-ok').addEventListener('click', () => {
      // One confirmation, one run: the button is off until the dialog opens again.
      el('bulk-dialog-ok').disabled = true;
      el('bulk-dialog').close();
      if (dialogAction) dialogAction();
      dialogAction = null;
    });
    el('bulk-pause').addEventListener('click', () => control(BULK_ACTIONS.pause));
    el('bulk-resume').addEventListener('click', () => control(BULK_ACTIONS.resume));
    el('bulk-cancel').addEventListener('click', () => control(BULK_ACTIONS.cancel));
    el('bulk-export').addEventListener('click', () => exportBatch(run.progress.batchId, el('bulk-run-notice')));
    el('bulk-retry').addEventListener('click', () => fromBatch(run.progress.batchId, BATCH_CHOICES.retry));
    el('bulk-undo').addEventListener('click', () => fromBatch(run.progress.batchId, BATCH_CHOICES.undo));
    listen(EVENTS.bulkEvent, onEvent);
  }

  return {
    // The shell shows the view: recent runs, and a run still going.
    show: () => loadBatches(),
    // A preview made elsewhere (the Numbers view's selection): the same confirmation and run.
    openPreview: (view) => {
      problem(null);
      el('bulk-run').hidden = true;
      el('bulk-input-step').hidden = true;
      renderPreview(view);
    },
  };
}
