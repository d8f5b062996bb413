// How an operation's status reads on screen: a word and a symbol, never colour alone.
import { isInFlight } from './contract.mjs';

const KNOWN = {
  sending: ['Sending', 'progress'],
  accepted: ['Accepted', 'progress'],
  notStarted: ['Not started', 'progress'],
  running: ['Running', 'progress'],
  succeeded: ['Succeeded', 'ok'],
  failed: ['Failed', 'bad'],
  rejected: ['Refused', 'bad'],
  skipped: ['Skipped', 'other'],
  outcomeUnknown: ['Outcome unknown', 'unknown'],
  stale: ['Not confirmed yet', 'unknown'],
};

const SYMBOL = { progress: '…', ok: '✓', bad: '✗', unknown: '?', other: '–' };

// Statuses Microsoft may add later are shown as Microsoft wrote them.
export function statusLabel(status) {
  const [label, tone] = KNOWN[status] || [status, 'other'];
  return { label, tone, symbol: SYMBOL[tone] };
}

export function renderChip(el, status) {
  const { label, tone, symbol } = statusLabel(status);
  el.textContent = `${symbol} ${label}`;
  el.dataset.tone = tone;
}

export function isSettled(status) {
  return !isInFlight(status);
}

export function formatTime(rfc3339) {
  if (!rfc3339) return '';
  const when = new Date(rfc3339);
  return Number.isNaN(when.getTime()) ? rfc3339 : when.toLocaleString();
}
