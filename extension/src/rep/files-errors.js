// What a refused file request means to the rep: a sentence from the catalog
// for the kind of refusal, and the Support Manager's (or relay's) own words
// as the detail. Agent refusals are agent/files.py's `Refused` texts.
import { t } from './i18n.js';

const KINDS = [
  ['ended', /no live file (grant|transfer)|not your side of this file transfer/i],
  ['path', /'\.\.' is refused|absolute paths|outside the shared folder|is not a shared folder|choose one of the shared folders|in progress are not served/i],
  ['size', /limited to \d+ bytes/i],
  ['verify', /SHA-256|changed size|got shorter/i],
  ['no_folder', /no folder is shared/i],
  ['missing', /no such file|does not exist|not a directory/i],
  ['exists', /file exists|in the way/i],
];

export function errorKind(err) {
  if (err && (err.code === 'ended' || err.code === 'verify')) return err.code;
  const text = String((err && err.message) || err || '');
  const found = KINDS.find(([, pattern]) => pattern.test(text));
  return found ? found[0] : 'other';
}

// { kind, text, detail }: text for the rep, detail as the agent said it.
export function describeError(err) {
  const kind = errorKind(err);
  return { kind, text: t('files_error_' + kind), detail: String((err && err.message) || err || '') };
}
