// Small DOM helpers shared by the screens.

export const byId = (id) => document.getElementById(id);

const PAGES = ['loading', 'startup-problem', 'welcome', 'register', 'setup', 'signin', 'shell'];

// Shows one top-level page and hides the others.
export function showPage(id) {
  for (const page of PAGES) byId(page).hidden = page !== id;
}

// A table cell holding text or an element.
export function cell(content) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? '';
  return td;
}

// A small status label; `tone` picks its colour (see .chip[data-tone] in style.css).
export function chip(tone, words) {
  const el = document.createElement('span');
  el.className = 'chip';
  el.dataset.tone = tone;
  el.textContent = words;
  return el;
}

// A notice above every page: a sentence, or a Problem (shown by showProblem, request ID included).
export function banner(kind, textOrProblem) {
  const isProblem = typeof textOrProblem === 'object' && textOrProblem !== null;
  const el = document.createElement(isProblem ? 'div' : 'p');
  el.className = `banner banner-${kind}`;
  if (isProblem) {
    showProblem(el, textOrProblem);
    el.setAttribute('role', 'alert');
  } else {
    el.setAttribute('role', 'note');
    el.textContent = textOrProblem;
  }
  byId('banners').append(el);
  watchBanners();
  return el;
}

// The top bar sticks just below the banners, whatever they come to hold (a button added after
// the text, a line that wraps when the window narrows): their height is followed as it changes,
// after layout, instead of being read at once (which made the page lay itself out mid-start).
let bannersWatched = false;
function watchBanners() {
  if (bannersWatched) return;
  bannersWatched = true;
  new ResizeObserver(([entry]) => {
    document.documentElement.style.setProperty('--banner-height', `${entry.target.offsetHeight}px`);
  }).observe(byId('banners'));
}

// Fills an alert box with a Problem ({ message, hint, requestId }), or hides it.
export function showProblem(box, problem) {
  box.replaceChildren();
  if (!problem) {
    box.hidden = true;
    return;
  }
  const message = document.createElement('p');
  message.className = 'problem-message';
  message.textContent = problem.message;
  const hint = document.createElement('p');
  hint.className = 'problem-hint';
  hint.textContent = problem.hint;
  box.append(message, hint);
  if (problem.requestId) {
    const id = document.createElement('p');
    id.className = 'problem-id';
    id.textContent = `Correlation ID for support: ${problem.requestId}`;
    box.append(id);
  }
  box.hidden = false;
}

// Copies text to the clipboard; says so for screen readers.
export async function copyText(text) {
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    const scratch = document.createElement('textarea');
    scratch.value = text;
    scratch.setAttribute('readonly', '');
    scratch.className = 'visually-hidden';
    document.body.append(scratch);
    scratch.select();
    copied = document.execCommand('copy');
    scratch.remove();
  }
  byId('copied').textContent = copied ? 'Copied.' : 'Could not copy: select the text and press Ctrl+C.';
  return copied;
}

// Every button with data-copy-from="<id>" copies that element's value or text.
export function wireCopyButtons() {
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-copy-from]');
    if (!button) return;
    const source = byId(button.dataset.copyFrom);
    const text = 'value' in source && source.tagName === 'INPUT' ? source.value : source.textContent;
    const label = button.textContent;
    if (await copyText(text.trim())) {
      button.textContent = 'Copied';
      setTimeout(() => { button.textContent = label; }, 1500);
    }
  });
}
