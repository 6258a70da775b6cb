/**
 * Multi-line text inserted into a textarea as one edit.
 *
 * Chromium handles an `insertText` input whose text has line breaks (text from an input method, dictation,
 * a "type this" tool, or automation) one line at a time: every line is a separate editing step that re-lays
 * out the whole textarea and fires its own `input` events, so a controlled React textarea re-renders its view
 * once per line. A list of 2,000 host names took about 20 s that way (quadratic). Inserting the text with
 * `setRangeText` and firing a single `input` event is linear and ends in the same value. Ordinary pastes
 * (`insertFromPaste`) are left to the browser: they are already one step, and keep the textarea's own undo.
 */

/** The input types whose multi-line text is inserted in one step (see the module comment). */
const ONE_STEP_TYPES = new Set(['insertText', 'insertReplacementText']);

/**
 * A `beforeinput` listener for a textarea: multi-line text of an `insertText`/`insertReplacementText` input is
 * put in place of the selection at once, the caret after it, and one `input` event (same `inputType` and `data`)
 * is fired so React's `onChange` sees the new value once. Other inputs (single line, paste, deletion, input
 * method composition, uncancelable ones) go the browser's way.
 * @returns true when it inserted the text itself.
 */
export function insertMultiLineTextAtOnce(event: InputEvent): boolean {
  const target = event.target;
  if (typeof HTMLTextAreaElement === 'undefined' || !(target instanceof HTMLTextAreaElement)) return false;
  if (!event.cancelable || event.isComposing || !ONE_STEP_TYPES.has(event.inputType)) return false;
  const data = event.data;
  if (data === null || !/[\r\n]/.test(data)) return false;
  event.preventDefault();
  // A textarea's value holds line feeds only (HTML normalises CR LF and CR); setRangeText does not do it for us.
  const text = data.replace(/\r\n?/g, '\n');
  target.setRangeText(text, target.selectionStart, target.selectionEnd, 'end');
  target.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: event.inputType, data: text }));
  return true;
}
