// Graph's values in the words an admin reads: number types, assignment targets and categories,
// activation states. One table per Graph property, used by the lookup card, History and the
// Bulk preview alike. A value Microsoft adds later is shown as sent; nothing at all is a dash.

export const NONE = '—';

// numberType. The same words as the Rust side's desk::number_type_label (tests/contract.rs).
const NUMBER_TYPES = {
  callingPlan: 'Calling Plan',
  directRouting: 'Direct Routing',
  operatorConnect: 'Operator Connect',
  internalError: 'Unknown type (Microsoft reports an internal error)',
  unknownFutureValue: 'A type newer than NumberDesk knows',
};

// assignmentStatus: who or what holds the number.
const ASSIGNMENT_TARGETS = {
  userAssigned: 'User',
  voiceApplicationAssigned: 'Resource account (auto attendant or call queue)',
  conferenceAssigned: 'Conference bridge',
  thirdPartyAppAssigned: 'Third-party app',
  policyAssigned: 'Shared calling policy',
  unassigned: 'Not assigned',
  internalError: 'Not stated by Microsoft (internal error)',
  unknownFutureValue: 'Something newer than NumberDesk knows',
};

// assignmentCategory.
const ASSIGNMENT_CATEGORIES = {
  primary: 'Primary number',
  private: 'Private line',
  alternate: 'Alternate number',
  unknownFutureValue: 'A category newer than NumberDesk knows',
};

// activationState.
const ACTIVATION_STATES = {
  activated: 'Activated',
  assignmentPending: 'Assignment pending',
  assignmentFailed: 'Assignment failed',
  updatePending: 'Update pending',
  updateFailed: 'Update failed',
  unknownFutureValue: 'A state newer than NumberDesk knows',
};

// NumberDesk's own grouping of a bulk row's assignee (bulk::TargetKind).
const TARGET_KINDS = {
  user: 'User',
  resourceAccount: 'Resource account',
};

// NumberDesk's grouping of what holds a number, for the Numbers view (inventory::AssignmentKind).
const ASSIGNMENT_KINDS = {
  user: 'User',
  resourceAccount: 'Resource account',
  conferenceBridge: 'Conference bridge',
  policy: 'Shared calling policy',
  thirdPartyApp: 'Third-party app',
  unassigned: 'Not assigned',
  other: 'Other',
};

function isEmpty(value) {
  return value === null || value === undefined || value === '';
}

// A value as text, or `fallback` when there is none.
export function text(value, fallback = NONE) {
  return isEmpty(value) ? fallback : String(value);
}

function word(table, value, fallback) {
  if (isEmpty(value)) return fallback;
  return Object.hasOwn(table, value) ? table[value] : String(value);
}

export const numberType = (value, fallback = NONE) => word(NUMBER_TYPES, value, fallback);
export const assignmentTarget = (value, fallback = 'Not stated by Microsoft') => word(ASSIGNMENT_TARGETS, value, fallback);
export const assignmentCategory = (value, fallback = NONE) => word(ASSIGNMENT_CATEGORIES, value, fallback);
export const assignmentKind = (value, fallback = NONE) => word(ASSIGNMENT_KINDS, value, fallback);
export const activationState = (value, fallback = NONE) => word(ACTIVATION_STATES, value, fallback);

// A person as the admin reads them. In a table: "Adele Vance (adele@contoso.com)"; in a
// sentence: "Adele Vance". The user name, else the object ID, when no name was read.
export function person(who, { inSentence = false } = {}) {
  const { name, upn, id } = who || {};
  if (!isEmpty(name)) return inSentence || isEmpty(upn) ? String(name) : `${name} (${upn})`;
  return isEmpty(upn) ? text(id, '') : String(upn);
}

// Where an export went: "Exported 1,204 rows to /home/ana/Downloads/…csv".
export function exportedText({ count, path }, one = 'row', many = `${one}s`) {
  return `Exported ${count.toLocaleString()} ${count === 1 ? one : many} to ${path}`;
}

// Why the setup fields cannot be changed (SetupView.lockedBy), or '' when they can.
const LOCKED_BY = {
  managed: ({ presetPath }) => `Your IT department has set these for you (${presetPath}).`,
  demo: () => 'The demo tenant fixes the cloud to its simulated Microsoft. The tenant and client ID start as the demo’s own app; Set up for my organization fills them in here, in the demo’s own settings only.',
  testHooks: () => 'Some settings are fixed by NUMBERDESK_* environment variables.',
};
export function lockedText(setup) {
  const why = setup && LOCKED_BY[setup.lockedBy];
  return why ? why(setup) : '';
}

// A bulk row's assignee kind: NumberDesk's grouping, else what Graph said.
export function targetKind(kind, assignmentStatus) {
  if (isEmpty(kind)) return '';
  return TARGET_KINDS[kind] || assignmentTarget(assignmentStatus, 'Other');
}

// For the History detail: the words, with Graph's own value beside them for support tickets.
export function withGraphValue(words, value) {
  return isEmpty(value) || words === String(value) ? words : `${words} (${value})`;
}
