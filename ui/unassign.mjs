// Look a number up, confirm, unassign, and follow the change. Mounted on a root element so the
// main window and the tray's quick window share one implementation. Like every view module:
// `mount(root, deps)` returns the methods the shell calls; all state lives in the mount.
import { call } from './ipc.mjs';
import { showProblem } from './dom.mjs';
import { OPERATIONS, PROBLEMS, SUCCEEDED } from './contract.mjs';
import { renderChip, isSettled } from './status.mjs';
import { activationState, assignmentTarget, person, text } from './words.mjs';

// The markup both windows use, so the card and the confirmation are the same everywhere.
const MARKUP = `
<form class="lookup-form" data-part="form" role="search" aria-label="Look up a number">
  <label for="lookup-input">Phone number</label>
  <div class="row">
    <input id="lookup-input" data-part="input" type="text" inputmode="tel" autocomplete="off" spellcheck="false" aria-describedby="lookup-help">
    <button type="submit" class="primary" data-part="lookup">Look up</button>
  </div>
  <p id="lookup-help" class="help">Paste it as you have it: +1 (206) 555-0100, tel:+12065550100, +44 20 7946 0958, +12065550100;ext=524.</p>
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
    part('result').hidden = true;
    busy('Looking the number up…');
    try {
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
  part('unassign').addEventListener('click', () => {
    if (!card) return;
    part('confirm-title').textContent = card.confirmText;
    part('confirm-body').textContent = card.confirmDetail;
    part('confirm-ok').disabled = false;
    onBusy(true);
    dialog.showModal();
    part('confirm-cancel').focus();
  });
  part('confirm-cancel').addEventListener('click', () => dialog.close());
  // Closed without confirming (Cancel or Esc): nothing is pending any more.
  dialog.addEventListener('close', () => {
    if (!sending) onBusy(false);
  });
  part('confirm-ok').addEventListener('click', async () => {
    // One confirmation sends at most one request: the button is disabled at once, and the
    // lookup it confirms can be used only once on the Rust side.
    part('confirm-ok').disabled = true;
    sending = true;
    dialog.close();
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
