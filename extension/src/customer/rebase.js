// The rep changed a field's text from `was` to `value`, but the field holds
// `live` now (the app cleared or rewrote it since the rep's picture): make
// the rep's change on `live` instead, so the customer gets exactly what the
// rep typed and nothing of the stale text.
//
// The change is one replaced run: `was` = head + removed + tail, `value` =
// head + inserted + tail. It goes where the same tail (or the end) is in
// `live`; `removed` is taken out only if `live` still has it there.
export function rebase(was, value, live) {
  let start = 0;
  while (start < was.length && start < value.length && was[start] === value[start]) start += 1;
  let end = 0;
  while (end < was.length - start && end < value.length - start
    && was[was.length - 1 - end] === value[value.length - 1 - end]) end += 1;
  let removed = was.slice(start, was.length - end);
  const inserted = value.slice(start, value.length - end);
  const tail = was.slice(was.length - end);
  let stop; // where the changed run ends in `live`
  if (!end) stop = live.length;
  else if (live.endsWith(tail)) stop = live.length - tail.length;
  else stop = Math.min(start + removed.length, live.length);
  if (live.slice(stop - removed.length, stop) !== removed) removed = '';
  return live.slice(0, stop - removed.length) + inserted + live.slice(stop);
}
