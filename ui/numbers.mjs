// The Numbers view: every number of the tenant as last read (kept, so it shows at once), with
// chips and their counts, search, sortable columns and one page on screen at a time; Refresh
// with progress and Cancel; the leavers lens; CSV exports; and "Unassign selected…", which
// hands the selection to the Bulk view's preview (the one engine for many numbers).
// `mount(root, deps)` wires the view's markup in index.html and returns what the shell calls.
import { call, listen } from './ipc.mjs';
import { cell, chip, showProblem } from './dom.mjs';
import { EVENTS } from './contract.mjs';
import { activationState, assignmentKind, exportedText, numberType, person, text } from './words.mjs';

// Rows on screen at once: the list renders one page, never the whole inventory.
const PAGE = 50;
// Leavers rows drawn at once (the export has them all).
const LEAVERS_SHOWN = 500;

// The chip groups: the query's field, the counts' field, the legend, the words for a value.
const CHIP_GROUPS = [
  ['assignment', 'assignment', 'Assigned to', (v) => assignmentKind(v)],
  ['numberTypes', 'numberType', 'Number type', (v) => numberType(v)],
  ['countries', 'country', 'Country', (v) => (v === 'unknown' ? 'Not stated' : v)],
  ['activationStates', 'activationState', 'Activation state', (v) => (v === 'unknown' ? 'Not stated' : activationState(v))],
];

// Why a number is on the leavers list, in a word (the sentence comes from the Rust side).
const REASONS = {
  disabled: 'Disabled',
  deleted: 'Deleted',
  ghost: 'Points at nothing',
  notAUser: 'No such user',
  unlicensed: 'No Teams Phone licence',
};

// Why a holder could not be checked, in a few words (the sentence comes from the Rust side).
const UNCHECKED = {
  directoryAnswer: 'Answer unreadable',
  licence: 'Licences unclear',
};

function assignee(row) {
  return person({ name: row.assigneeName, upn: row.assigneeUpn, id: row.assigneeId });
}

// "as of 10:42" today, with the date otherwise.
function asOf(readAt) {
  const when = new Date(readAt);
  if (Number.isNaN(when.getTime())) return readAt;
  const today = new Date().toDateString() === when.toDateString();
  const time = when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return today ? time : `${when.toLocaleDateString()} ${time}`;
}

export function mount(root, { openBulkPreview = async () => {}, setTabCount = () => {} } = {}) {
  const el = (id) => root.querySelector(`#${id}`);
  const query = {
    assignment: [], numberTypes: [], countries: [], activationStates: [],
    search: '', sort: 'number', descending: false, offset: 0, limit: PAGE,
  };
  const selected = new Set(); // telephone numbers ticked
  let page = null; // the NumbersPage on screen
  let lens = 'all';
  let report = null; // the leavers report on screen
  let busy = false;
  let searchTimer = null;

  const problem = (p) => showProblem(el('numbers-problem'), p);
  const allMatching = () => el('numbers-all-matching').checked;

  // ----- The list ------------------------------------------------------------------------------

  function renderStatus() {
    el('numbers-as-of').textContent = page && page.readAt
      ? (page.partial
        ? `Incomplete: ${page.total.toLocaleString()} numbers read before the Refresh stopped at ${asOf(page.readAt)}`
        : `${page.total.toLocaleString()} numbers, as of ${asOf(page.readAt)}`)
      : 'Not read yet';
    el('numbers-note').hidden = !(page && page.note);
    el('numbers-note').textContent = (page && page.note) || '';
    const leavers = page && page.leavers;
    setTabCount(leavers ? leavers.numbers : null);
    el('numbers-lens-count').textContent = leavers ? `(${leavers.numbers.toLocaleString()})` : '';
  }

  function renderChips() {
    const groups = CHIP_GROUPS.map(([field, countsField, legend, words]) => {
      // A labelled group (not a fieldset: a legend cannot sit beside its chips).
      const set = document.createElement('div');
      set.className = 'chips';
      set.setAttribute('role', 'group');
      const title = document.createElement('span');
      title.className = 'chips-label';
      title.id = `numbers-chips-${field}`;
      title.textContent = legend;
      set.setAttribute('aria-labelledby', title.id);
      set.append(title);
      const counts = { ...page.counts[countsField] };
      for (const value of query[field]) if (!(value in counts)) counts[value] = 0;
      for (const [value, n] of Object.entries(counts)) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'chip-filter';
        button.dataset.group = field;
        button.dataset.value = value;
        button.setAttribute('aria-pressed', String(query[field].includes(value)));
        button.textContent = `${words(value)} (${n.toLocaleString()})`;
        button.addEventListener('click', () => toggleChip(field, value));
        set.append(button);
      }
      return set;
    });
    el('numbers-chips').replaceChildren(...groups);
  }

  function rowElement(row) {
    const tr = document.createElement('tr');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = allMatching() || selected.has(row.telephoneNumber);
    box.disabled = allMatching();
    box.setAttribute('aria-label', `Select ${row.telephoneNumber}`);
    box.addEventListener('change', () => {
      if (box.checked) selected.add(row.telephoneNumber);
      else selected.delete(row.telephoneNumber);
      renderSelection();
    });
    tr.append(
      cell(box),
      cell(row.telephoneNumber),
      cell(assignee(row) || text(null)),
      cell(assignmentKind(row.assignment)),
      cell(numberType(row.numberType)),
      cell(text(row.country)),
      cell(text(row.city)),
      cell(activationState(row.activationState)),
    );
    return tr;
  }

  function renderRows() {
    el('numbers-rows').replaceChildren(...page.rows.map(rowElement));
    el('numbers-empty').hidden = page.rows.length > 0 || page.total === 0;
    const first = page.matching === 0 ? 0 : page.offset + 1;
    const last = page.offset + page.rows.length;
    el('numbers-range').textContent = `${first.toLocaleString()}–${last.toLocaleString()} of ${page.matching.toLocaleString()}`;
    el('numbers-prev').disabled = page.offset === 0;
    el('numbers-next').disabled = last >= page.matching;
    for (const th of root.querySelectorAll('#numbers-table th[data-sort]')) {
      if (th.dataset.sort === query.sort) th.setAttribute('aria-sort', query.descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    }
  }

  function renderSelection() {
    const n = allMatching() ? (page ? page.matching : 0) : selected.size;
    el('numbers-all-matching-label').textContent = `All ${page ? page.matching.toLocaleString() : ''} that match`;
    el('numbers-selected').textContent = n ? `${n.toLocaleString()} selected` : '';
    el('numbers-unassign').disabled = n === 0 || busy;
  }

  function render(next) {
    page = next;
    renderStatus();
    renderChips();
    renderRows();
    renderSelection();
    el('numbers-export').disabled = page.total === 0;
  }

  // The first time, the kept list is read from its file (`numbers_view`); then only queried.
  async function load({ first = false } = {}) {
    try {
      render(await (first ? call('numbers_view', { query }) : call('numbers_query', { query })));
      problem(null);
    } catch (p) {
      problem(p);
    }
  }

  function requery() {
    query.offset = 0;
    el('numbers-all-matching').checked = false;
    return load();
  }

  function toggleChip(field, value) {
    const values = query[field];
    const at = values.indexOf(value);
    if (at >= 0) values.splice(at, 1);
    else values.push(value);
    requery().then(() => {
      const again = root.querySelector(`.chip-filter[data-group="${field}"][data-value="${CSS.escape(value)}"]`);
      if (again) again.focus();
    });
  }

  function sortBy(column) {
    if (query.sort === column) query.descending = !query.descending;
    else {
      query.sort = column;
      query.descending = false;
    }
    query.offset = 0;
    load();
  }

  // ----- Refresh -------------------------------------------------------------------------------

  function setBusy(on) {
    busy = on;
    el('numbers-refresh').disabled = on;
    el('numbers-cancel').hidden = !on;
    renderSelection();
  }

  function onProgress(progress) {
    if (!busy || lens !== 'all') return;
    const bar = el('numbers-progress-bar');
    if (progress.about && progress.about >= progress.rows && !progress.naming) {
      bar.max = progress.about;
      bar.value = progress.rows;
    } else {
      bar.removeAttribute('value');
    }
    el('numbers-progress-text').textContent = progress.text;
  }

  async function refresh() {
    problem(null);
    setBusy(true);
    el('numbers-progress-bar').removeAttribute('value');
    el('numbers-progress-text').textContent = 'Reading the numbers…';
    el('numbers-progress-row').hidden = false;
    try {
      const refreshed = await call('numbers_refresh', { query: { ...query, offset: 0 } });
      query.offset = 0;
      selected.clear();
      el('numbers-all-matching').checked = false;
      report = null;
      render(refreshed.page);
      el('numbers-progress-text').textContent = refreshed.cancelled
        ? 'Cancelled: the list is as it was before.'
        : refreshed.cutOff
          ? 'Stopped before the end: what was read is kept. Choose Refresh to continue.'
          : `Read ${refreshed.page.total.toLocaleString()} numbers.`;
    } catch (p) {
      problem(p);
      el('numbers-progress-row').hidden = true;
    } finally {
      setBusy(false);
      el('numbers-progress-bar').value = el('numbers-progress-bar').max;
    }
  }

  // ----- Exports and the way to Bulk -------------------------------------------------------------

  // `write`: the call that writes the file.
  async function exportCsv(write, notice, box) {
    showProblem(box, null);
    notice.textContent = 'Writing the CSV file…';
    try {
      const exported = await write();
      notice.textContent = exportedText(exported);
    } catch (p) {
      notice.textContent = '';
      showProblem(box, p);
    }
  }

  async function toBulk(selection, box) {
    showProblem(box, null);
    setBusy(true);
    try {
      await openBulkPreview(await call('numbers_to_bulk', { selection }));
    } catch (p) {
      showProblem(box, p);
    } finally {
      setBusy(false);
    }
  }

  function unassignSelected() {
    const selection = allMatching()
      ? { kind: 'matching', query: { ...query, offset: 0 } }
      : { kind: 'numbers', numbers: [...selected] };
    return toBulk(selection, el('numbers-problem'));
  }

  // ----- The leavers lens ----------------------------------------------------------------------

  function showLens(name) {
    lens = name;
    el('numbers-lens-all').setAttribute('aria-pressed', String(name === 'all'));
    el('numbers-lens-leavers').setAttribute('aria-pressed', String(name === 'leavers'));
    el('numbers-list').hidden = name !== 'all';
    el('numbers-leavers').hidden = name !== 'leavers';
    if (name === 'leavers' && !report) checkLeavers();
  }

  function renderLeavers() {
    const c = report.counts;
    const parts = [
      [c.disabled, 'disabled'], [c.deleted, 'deleted'], [c.ghost, 'pointing at nothing'],
      [c.notAUser, 'no such user'], [c.unlicensed, 'without a Teams Phone licence'],
    ].filter(([n]) => n > 0).map(([n, words]) => chip('other', `${n.toLocaleString()} ${words}`));
    const unchecked = report.unchecked || [];
    el('numbers-leavers-counts').replaceChildren(
      chip(c.numbers ? 'bad' : 'ok', `${c.numbers.toLocaleString()} numbers on leavers`),
      ...parts,
      chip('other', `${report.assigneesChecked.toLocaleString()} users checked`),
      ...(unchecked.length ? [chip('unknown', `${unchecked.length.toLocaleString()} numbers could not be checked`)] : []),
    );
    // A deleted-users list read only in part: say why nobody is called "points at nothing".
    const partial = report.complete && report.deletedUsersComplete === false;
    el('numbers-leavers-partial').hidden = !partial;
    el('numbers-leavers-partial').textContent = partial
      ? 'The list of deleted users was too long, or partly unreadable, so NumberDesk could not read all of it. '
        + 'Numbers held by someone who is no longer a user show as “No such user”: they may be deleted, or gone for good.'
      : '';
    el('numbers-unchecked').hidden = unchecked.length === 0;
    el('numbers-unchecked-rows').replaceChildren(...unchecked.slice(0, LEAVERS_SHOWN).map((item) => {
      const tr = document.createElement('tr');
      const why = cell('');
      why.append(chip('unknown', UNCHECKED[item.reason] || item.reason), document.createTextNode(` ${item.explanation}`));
      tr.append(cell(item.row.telephoneNumber), cell(assignee(item.row) || text(null)), why, cell(text(item.row.country)));
      return tr;
    }));
    const missing = report.missingPermission;
    el('numbers-permission').hidden = !missing;
    if (missing) showProblem(el('numbers-permission-text'), missing);
    el('numbers-leavers-rows').replaceChildren(...report.leavers.slice(0, LEAVERS_SHOWN).map((leaver) => {
      const tr = document.createElement('tr');
      const why = cell('');
      why.append(chip('bad', REASONS[leaver.reason] || leaver.reason), document.createTextNode(` ${leaver.explanation}`));
      tr.append(cell(leaver.row.telephoneNumber), cell(assignee(leaver.row) || text(null)), why, cell(text(leaver.row.country)));
      return tr;
    }));
    const more = report.leavers.length - LEAVERS_SHOWN;
    el('numbers-leavers-more').hidden = more <= 0;
    el('numbers-leavers-more').textContent = more > 0 ? `${more.toLocaleString()} more are in the CSV export.` : '';
    el('numbers-leavers-unassign').disabled = c.numbers === 0;
    el('numbers-leavers-export').disabled = false;
    setTabCount(c.numbers);
    el('numbers-lens-count').textContent = `(${c.numbers.toLocaleString()})`;
  }

  async function checkLeavers() {
    const box = el('numbers-leavers-problem');
    showProblem(box, null);
    el('numbers-leavers-notice').textContent = '';
    if (!page || page.total === 0) {
      el('numbers-leavers-busy').textContent = 'Read the numbers first: choose Refresh.';
      return;
    }
    setBusy(true);
    el('numbers-leavers-busy').textContent = 'Checking who holds the numbers…';
    try {
      const found = await call('numbers_leavers', { includeUnlicensed: el('numbers-unlicensed').checked });
      if (found) {
        report = found;
        renderLeavers();
        const notChecked = report.assigneesUnchecked
          ? ` ${report.assigneesUnchecked.toLocaleString()} could not be checked: see “Could not be checked” below.`
          : '';
        el('numbers-leavers-busy').textContent = (report.complete
          ? `Checked ${report.assigneesChecked.toLocaleString()} users in ${report.requests.toLocaleString()} requests.`
          : 'Checked what NumberDesk may read.') + notChecked;
      } else {
        el('numbers-leavers-busy').textContent = 'Cancelled.';
      }
    } catch (p) {
      el('numbers-leavers-busy').textContent = '';
      showProblem(box, p);
    } finally {
      setBusy(false);
    }
  }

  async function askAgain() {
    const box = el('numbers-leavers-problem');
    showProblem(box, null);
    try {
      await call('numbers_ask_directory_again');
    } catch (p) {
      showProblem(box, p);
      return;
    }
    report = null;
    await checkLeavers();
  }

  {
    el('numbers-refresh').addEventListener('click', refresh);
    el('numbers-cancel').addEventListener('click', () => call('numbers_cancel').catch(problem));
    el('numbers-search').addEventListener('input', (event) => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => {
        query.search = event.target.value;
        requery();
      }, 200);
    });
    for (const th of root.querySelectorAll('#numbers-table th[data-sort]')) {
      th.querySelector('button').addEventListener('click', () => sortBy(th.dataset.sort));
    }
    el('numbers-prev').addEventListener('click', () => {
      query.offset = Math.max(0, query.offset - PAGE);
      load();
    });
    el('numbers-next').addEventListener('click', () => {
      query.offset += PAGE;
      load();
    });
    el('numbers-all-matching').addEventListener('change', () => {
      if (page) renderRows();
      renderSelection();
    });
    el('numbers-unassign').addEventListener('click', unassignSelected);
    el('numbers-export').addEventListener('click', () => exportCsv(() => call('numbers_export', { query: { ...query, offset: 0 } }), el('numbers-export-notice'), el('numbers-problem')));
    el('numbers-lens-all').addEventListener('click', () => showLens('all'));
    el('numbers-lens-leavers').addEventListener('click', () => showLens('leavers'));
    el('numbers-unlicensed').addEventListener('change', checkLeavers);
    el('numbers-unchecked-again').addEventListener('click', checkLeavers);
    el('numbers-ask-again').addEventListener('click', askAgain);
    el('numbers-leavers-unassign').addEventListener('click', () => toBulk({ kind: 'leavers' }, el('numbers-leavers-problem')));
    el('numbers-leavers-export').addEventListener('click', () => exportCsv(() => call('numbers_export_leavers'), el('numbers-leavers-notice'), el('numbers-leavers-problem')));
    listen(EVENTS.numbersProgress, onProgress);
  }

  return {
    // The shell shows the view: the kept list at once (the first time from the file).
    show: () => load({ first: !page }),
  };
}
