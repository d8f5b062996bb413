// Look a number up, confirm, unassign, and follow the change. Mounted on a root element so the
// main window and the tray's quick window share one implementation. Like every view module:
// `mount(root, deps)` returns the methods the shell calls; all state lives in the mount.
import { call } from './ipc.mjs';
import { cell, showProblem } from './dom.mjs';
import { OPERATIONS, PROBLEMS, SUCCEEDED } from './contract.mjs';
import { renderChip, isSettled } from './status.mjs';
import { activationState, assignmentCategory, assignmentTarget, numberType, person, text } from './words.mjs';

// The markup both windows use, so the card and the confirmation are the same everywhere.
const MARKUP = `
<form class="lookup-form" data-part="form" role="search" aria-label="Look up a number or a person">
  <label for="lookup-input">Phone number, user name, email or name</label>
  <div class="row">
    <input id="lookup-input" data-part="input" type="text" inputmode="tel" autocomplete="off" spellcheck="false" aria-describedby="lookup-help">
    <button type="submit" class="primary" data-part="lookup">Look up</button>
  </div>
  <p id="lookup-help" class="help">Paste a number as you have it (+1 (206) 555-0100, tel:+12065550100, +12065550100;ext=524), or the person who is leaving: adele@contoso.com or Adele Vance.</p>
</form>
<p class="busy" data-part="busy" role="status" aria-live="polite"></p>
<div class="alert" data-part="problem" role="alert" hidden></div>
<article class="card" data-part="card" hidden aria-label="Number details">
  <h2 data-part="card-number"></h2>
  <p class="warning" data-part="card-warning" hidden></p>
  <dl class="facts">
    <dt>Assigned to</dt><dd data-part="card-assignee"></dd>
    <dt>User name</dt><dd data-part="card-upn"></dd>
    <dt>Kind</dt><dd data-part="card-target"></dd>
    <dt>Number type</dt><dd data-part="card-type"></dd>
    <dt>Activation</dt><dd data-part="card-activation"></dd>
    <dt>City and country</dt><dd data-part="card-city"></dd>
    <dt>Emergency location</dt><dd data-part="card-location"></dd>
  </dl>
  <p class="note" data-part="card-reason" hidden></p>
  <div class="actions">
    <button type="button" class="danger" data-part="unassign">Remove number…</button>
  </div>
</article>
<article class="card" data-part="person" hidden aria-label="Person details">
  <h2 data-part="person-name"></h2>
  <p class="help" data-part="person-upn"></p>
  <p class="warning" data-part="person-kind" hidden></p>
  <table class="person-numbers" data-part="person-numbers" hidden>
    <caption>Numbers they hold</caption>
    <thead><tr><th scope="col">Number</th><th scope="col">Category</th><th scope="col">Type</th></tr></thead>
    <tbody data-part="person-rows"></tbody>
  </table>
  <p class="note" data-part="person-reason" hidden></p>
  <ul class="choices" data-part="person-choices" aria-label="People who match" hidden></ul>
  <div class="actions">
    <button type="button" class="danger" data-part="unassign-person" hidden>Unassign all numbers…</button>
  </div>
</article>
<section class="result" data-part="person-result" hidden aria-label="Changes in progress">
  <ul class="person-changes" data-part="person-changes"></ul>
</section>
<section class="result" data-part="result" hidden aria-label="Change in progress">
  <p><span class="chip" data-part="result-status"></span> <span data-part="result-text"></span></p>
  <p class="help" data-part="result-detail"></p>
  <div class="alert" data-part="result-problem" role="alert" hidden></div>
  <button type="button" data-part="result-open">Open in History</button>
</section>
<dialog class="confirm" data-part="confirm" aria-labelledby="confirm-title">
  <h2 id="confirm-title" data-part="confirm-title"></h2>
  <p data-part="confirm-body"></p>
  <p class="help">Microsoft Graph cannot email the person or block the number from being given out again (PowerShell’s -Notify and assignment blocking). Use the Teams admin center or PowerShell if you need those.</p>
  <div class="actions">
    <button type="button" data-part="confirm-cancel">Cancel</button>
    <button type="button" class="danger" data-part="confirm-ok">Remove number</button>
  </div>
</dialog>
`;

export function mount(root, { openRecord = () => {}, onBusy = () => {} } = {}) {
  root.innerHTML = MARKUP;
  const part = (name) => root.querySelector(`[data-part="${name}"]`);
  let card = null;
  let followed = null;
  // A person lookup's card, and the records of their numbers being removed (id → element).
  let personCard = null;
  let personRecords = new Map();

  function busy(message) {
    part('busy').textContent = message || '';
  }

  function renderCard(found) {
    card = found;
    part('card-number').textContent = found.number.display;
    const warning = part('card-warning');
    warning.hidden = found.number.plausible;
    warning.textContent = 'This number does not match the numbering plan of its country. That can be normal for Direct Routing ranges; check it before you continue.';
    const assignment = found.assignment || {};
    const assignee = found.assignee || {};
    part('card-assignee').textContent = assignee.name
      || (assignment.assignmentTargetId ? `Object ID ${assignment.assignmentTargetId}` : text(null, 'Nobody'));
    part('card-upn').textContent = text(assignee.upn, found.nameNote ? found.nameNote : found.namesPermitted === false ? 'Not shown: Microsoft refused the permission to read names (User.ReadBasic.All), so the object ID is shown. Settings says how to ask again.' : '—');
    part('card-target').textContent = assignmentTarget(assignment.assignmentStatus);
    part('card-type').textContent = text(found.numberTypeLabel);
    part('card-activation').textContent = activationState(assignment.activationState);
    part('card-city').textContent = [assignment.city, assignment.isoCountryCode].filter(Boolean).join(', ') || '—';
    part('card-location').textContent = text(assignment.locationId, 'None');
    const reason = part('card-reason');
    reason.hidden = !found.reason;
    reason.textContent = found.reason || '';
    part('unassign').hidden = !found.canUnassign;
    part('card').hidden = !found.found;
  }

  let sending = false;

  function renderPerson(found) {
    personCard = found;
    const account = found.person;
    part('person-name').textContent = account ? (account.name || account.upn) : `“${found.query}”`;
    part('person-upn').textContent = account ? [account.upn, account.mail && account.mail !== account.upn ? account.mail : null].filter(Boolean).join(' · ') : '';
    const kind = part('person-kind');
    kind.hidden = !(account && (account.guest || found.resourceAccount));
    kind.textContent = account && account.guest
      ? 'A guest from another organisation.'
      : 'A resource account (an auto attendant or call queue), not a person.';
    const rows = part('person-rows');
    rows.replaceChildren();
    for (const held of found.numbers) {
      const tr = document.createElement('tr');
      const cells = [
        held.numberDisplay + (held.inFlight ? ' (a change is in progress)' : ''),
        assignmentCategory(held.assignment.assignmentCategory),
        held.numberTypeLabel || numberType(held.assignment.numberType),
      ];
      tr.append(...cells.map(cell));
      rows.append(tr);
    }
    part('person-numbers').hidden = found.numbers.length === 0;
    const reason = part('person-reason');
    reason.hidden = !found.reason;
    reason.textContent = found.reason || '';
    const choices = part('person-choices');
    choices.replaceChildren();
    for (const choice of found.choices) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `${choice.name || choice.upn} — ${choice.upn || choice.id}`;
      button.addEventListener('click', () => {
        part('input').value = choice.upn || choice.id;
        lookup();
      });
      li.append(button);
      choices.append(li);
    }
    choices.hidden = found.choices.length === 0;
    const go = part('unassign-person');
    go.hidden = !found.lookupId;
    const count = found.numbers.filter((n) => !n.inFlight).length;
    go.textContent = count === 1 ? 'Remove number…' : `Unassign all ${count} numbers…`;
    part('person').hidden = false;
  }

  function renderPersonChange(li, change, record) {
    li.replaceChildren();
    const chip = document.createElement('span');
    chip.className = 'chip';
    const line = document.createElement('span');
    li.append(chip, ' ', line);
    if (!record) {
      chip.textContent = 'Not sent';
      line.textContent = `${change.numberDisplay}: ${change.problem ? change.problem.message : 'not sent.'}`;
      return;
    }
    renderChip(chip, record.status);
    const who = person(record.priorAssignee, { inSentence: true });
    const whom = who ? ` from ${who}` : '';
    if (!isSettled(record.status)) line.textContent = `Removing ${change.numberDisplay}${whom}…`;
    else if (record.status === SUCCEEDED) line.textContent = `Removed ${change.numberDisplay}${whom}.`;
    else line.textContent = `${change.numberDisplay}: the change did not go through.`;
  }

  function personBusy() {
    let open = false;
    for (const entry of personRecords.values()) open = open || !isSettled(entry.status);
    onBusy(open);
  }

  function renderResult(record) {
    followed = record.id;
    // While a change is on its way, the window must not vanish (the tray's quick window).
    onBusy(!isSettled(record.status));
    part('result').hidden = false;
    renderChip(part('result-status'), record.status);
    const who = person(record.priorAssignee, { inSentence: true });
    const number = record.numberDisplay || record.telephoneNumber;
    const assign = record.kind === OPERATIONS.assign;
    const whom = who ? (assign ? ` to ${who}` : ` from ${who}`) : '';
    let line;
    if (!isSettled(record.status)) line = `${assign ? 'Giving' : 'Removing'} ${number}${whom}…`;
    else if (record.status === SUCCEEDED) line = assign ? `Gave ${number} back${whom}.` : `Removed ${number}${whom}.`;
    else line = `${number}: the change did not go through.`;
    part('result-text').textContent = line;
    part('result-detail').textContent = record.statusDetail || '';
    showProblem(part('result-problem'), record.error);
  }

  async function lookup() {
    const input = part('input').value;
    showProblem(part('problem'), null);
    part('card').hidden = true;
    part('person').hidden = true;
    part('result').hidden = true;
    part('person-result').hidden = true;
    personCard = null;
    busy('Looking it up…');
    try {
      const asked = await call('lookup_person', { input });
      if (asked.kind === 'person') {
        busy('');
        renderPerson(asked.card);
        (asked.card.lookupId ? part('unassign-person') : part('input')).focus();
        return;
      }
      const found = await call('lookup_number', { input });
      busy('');
      renderCard(found);
      if (!found.found) showProblem(part('problem'), { message: found.reason, hint: 'Check the number. Only numbers of your tenant can be unassigned.' });
      (found.canUnassign ? part('unassign') : part('input')).focus();
    } catch (problem) {
      busy('');
      showProblem(part('problem'), problem);
      part('input').focus();
    }
  }

  part('form').addEventListener('submit', (event) => {
    event.preventDefault();
    lookup();
  });

  const dialog = part('confirm');
  // What the open confirmation confirms: one number's card, or a person's.
  let confirming = 'number';
  function openConfirm(what, found, okLabel) {
    confirming = what;
    part('confirm-title').textContent = found.confirmText;
    part('confirm-body').textContent = found.confirmDetail;
    part('confirm-ok').textContent = okLabel;
    part('confirm-ok').disabled = false;
    onBusy(true);
    dialog.showModal();
    part('confirm-cancel').focus();
  }
  part('unassign').addEventListener('click', () => {
    if (card) openConfirm('number', card, 'Remove number');
  });
  part('unassign-person').addEventListener('click', () => {
    if (!personCard) return;
    const count = personCard.numbers.filter((n) => !n.inFlight).length;
    openConfirm('person', personCard, count === 1 ? 'Remove number' : `Unassign all ${count}`);
  });
  part('confirm-cancel').addEventListener('click', () => dialog.close());
  // Closed without confirming (Cancel or Esc): nothing is pending any more.
  dialog.addEventListener('close', () => {
    if (!sending) onBusy(false);
  });
  async function confirmPerson() {
    part('unassign-person').hidden = true;
    busy('Sending the changes to Microsoft…');
    try {
      const changes = await call('unassign_person', { lookupId: personCard.lookupId });
      sending = false;
      busy('');
      part('person').hidden = true;
      const list = part('person-changes');
      list.replaceChildren();
      personRecords = new Map();
      for (const change of changes) {
        const li = document.createElement('li');
        renderPersonChange(li, change, change.record);
        if (change.record) personRecords.set(change.record.id, { li, change, status: change.record.status });
        list.append(li);
      }
      part('person-result').hidden = false;
      personBusy();
      part('input').focus();
    } catch (problem) {
      sending = false;
      onBusy(false);
      busy('');
      showProblem(part('problem'), problem);
    }
  }

  part('confirm-ok').addEventListener('click', async () => {
    // One confirmation sends at most one request per number: the button is disabled at once,
    // and the lookup it confirms can be used only once on the Rust side.
    part('confirm-ok').disabled = true;
    sending = true;
    dialog.close();
    if (confirming === 'person') {
      await confirmPerson();
      return;
    }
    part('unassign').hidden = true;
    busy('Sending the change to Microsoft…');
    try {
      const record = await call('unassign_number', { lookupId: card.lookupId });
      sending = false;
      busy('');
      part('card').hidden = true;
      renderResult(record);
      part('result-open').focus();
    } catch (problem) {
      sending = false;
      onBusy(false);
      busy('');
      if (problem && problem.kind === PROBLEMS.holderChanged) {
        // Nothing was sent: show who holds the number now, with the reason above the card.
        await lookup();
        showProblem(part('problem'), problem);
        return;
      }
      showProblem(part('problem'), problem);
    }
  });
  part('result-open').addEventListener('click', () => {
    if (followed !== null) openRecord(followed);
  });

  return {
    // The shell shows the view.
    show() {},
    // Called for every EVENTS.operationUpdated.
    operationUpdated(record) {
      if (record.id === followed) renderResult(record);
      const entry = personRecords.get(record.id);
      if (entry) {
        entry.status = record.status;
        renderPersonChange(entry.li, entry.change, record);
        personBusy();
      }
    },
    focus() {
      part('input').focus();
      part('input').select();
    },
    // Whether a confirmation is open.
    confirming() {
      return dialog.open;
    },
  };
}
