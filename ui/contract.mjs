// The names the Rust side and this UI share: the events it emits and the statuses a history
// record can have. Only here, never as literals elsewhere in ui/: tests/contract.rs reads this
// file and checks every name against the Rust constants, so a rename on either side fails a test.

// Events the app emits (listen(EVENTS.x, …)).
export const EVENTS = Object.freeze({
  // A history record changed (payload: the record). numberdesk::commands::OPERATION_UPDATED
  operationUpdated: 'operation-updated',
  // A bulk run's row or progress changed. numberdesk::commands::BULK_EVENT
  bulkEvent: 'bulk-event',
  // An inventory read's progress (payload: rows, about, requests, naming, text). numberdesk::commands::NUMBERS_PROGRESS
  numbersProgress: 'numbers-progress',
  // The tray or the quick window asks the main window to show a record. numberdesk::tray::OPEN_RECORD
  openRecord: 'open-record',
  // The tray asks the main window for the sign-in screen. numberdesk::tray::SHOW_SIGN_IN
  showSignIn: 'show-sign-in',
  // The quick window was shown again. numberdesk::tray::QUICK_OPENED
  quickOpened: 'quick-opened',
  // Another launch was folded into this window. numberdesk::SECOND_INSTANCE
  secondInstance: 'second-instance',
  // A step of "Set up for my organization", or the wait for Microsoft before the sign-in that
  // follows it (payload: step, text). numberdesk::commands::SETUP_PROGRESS
  setupProgress: 'setup-progress',
});

// The header naming a file sent to bulk_read as raw bytes (its value: encodeURIComponent of the
// name). numberdesk::commands::FILE_NAME_HEADER
export const FILE_NAME_HEADER = 'x-numberdesk-file-name';

// Every status a record can have with a name of its own (RecordStatus::KNOWN). Microsoft may
// send others; they are shown as sent and count as settled.
export const RECORD_STATUSES = Object.freeze([
  'sending',
  'accepted',
  'notStarted',
  'running',
  'outcomeUnknown',
  'succeeded',
  'failed',
  'skipped',
  'rejected',
  'stale',
]);

// The statuses in which the number may still change (RecordStatus::is_in_flight).
export const IN_FLIGHT_STATUSES = Object.freeze([
  'sending',
  'accepted',
  'notStarted',
  'running',
  'outcomeUnknown',
]);

// The one settled status that means it worked.
export const SUCCEEDED = 'succeeded';

export function isInFlight(status) {
  return IN_FLIGHT_STATUSES.includes(status);
}

// The problem kinds the UI acts on (a Problem's `kind`; numberdesk::problem::ProblemKind).
// Every other kind is simply shown with its message, hint and request ID.
export const PROBLEMS = Object.freeze({
  signedOut: 'signedOut',
  signInAgain: 'signInAgain',
  signInExpired: 'signInExpired',
  cancelled: 'cancelled',
  // The number changed hands since the admin looked; nothing was sent.
  holderChanged: 'holderChanged',
  setupLocked: 'setupLocked',
  // Made by ui/ipc.mjs: the window could not reach the app, or the app answered with no Problem.
  bridge: 'bridge',
  unexpected: 'unexpected',
});

// The kinds after which the window goes back to the sign-in screen.
export const SIGN_IN_AGAIN = Object.freeze([PROBLEMS.signInExpired, PROBLEMS.signInAgain, PROBLEMS.signedOut]);

// What a change does to a number (a record's, preview's or run's `kind`; OperationKind).
export const OPERATIONS = Object.freeze({
  unassign: 'unassign',
  assign: 'assign',
});

// Whether a bulk run is going (its progress's `state`; numberdesk::bulk::RunState).
export const RUN_STATES = Object.freeze({
  running: 'running',
  paused: 'paused',
  cancelled: 'cancelled',
  finished: 'finished',
});

// What the run controls ask bulk_control for (numberdesk::bulk::BulkAction).
export const BULK_ACTIONS = Object.freeze({
  pause: 'pause',
  resume: 'resume',
  cancel: 'cancel',
});

// What a past batch is previewed for by bulk_from_batch (numberdesk::bulk::BatchChoice).
export const BATCH_CHOICES = Object.freeze({
  retry: 'retry',
  undo: 'undo',
});
