// Calls into the Rust side. Every command answers with data or a Problem
// ({ kind, message, hint, requestId }); anything else is turned into one so the
// UI has a single error shape to show.

import { PROBLEMS, SIGN_IN_AGAIN } from './contract.mjs';

// `args` is an object of named arguments, or a file's bytes (Uint8Array or ArrayBuffer) sent
// as the raw request body; `options.headers` go with it.
export async function call(command, args, options) {
  const tauri = window.__TAURI__;
  if (!tauri || !tauri.core) {
    throw {
      kind: PROBLEMS.bridge,
      message: 'NumberDesk’s window could not reach the app.',
      hint: 'Close NumberDesk and start it again.',
      requestId: null,
    };
  }
  try {
    return await tauri.core.invoke(command, args, options);
  } catch (error) {
    if (error && typeof error === 'object' && 'message' in error && 'hint' in error) {
      if (SIGN_IN_AGAIN.includes(error.kind)) {
        window.dispatchEvent(new CustomEvent('numberdesk:sign-in-again', { detail: error }));
      }
      throw error;
    }
    throw {
      kind: PROBLEMS.unexpected,
      message: `Something went wrong inside NumberDesk: ${String(error)}`,
      hint: 'Try again. If it keeps happening, restart NumberDesk.',
      requestId: null,
    };
  }
}

// Subscribes to an app event (a name from contract.mjs's EVENTS); returns a promise of the
// unsubscribe.
export function listen(event, handler) {
  const tauri = window.__TAURI__;
  if (!tauri || !tauri.event) return Promise.resolve(() => {});
  return tauri.event.listen(event, (message) => handler(message.payload));
}
