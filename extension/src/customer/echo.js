// No echo of the rep's own typing. When control sets an input's value, rrweb
// reports it back (an Input event, and a `value` attribute mutation when a
// framework mirrors the property into the attribute); replayed in the rep's
// viewer, that would land in the field the rep is typing in and fight their
// cursor. So the value the rep applied is remembered per rrweb node id, and
// reports carrying exactly that value are dropped. The first report with a
// different value (the customer typed, or the page reformatted it) goes out
// and forgets the entry, so the rep always ends up seeing the page's truth.
import { EventType, IncrementalSource } from 'rrweb';

export function createEcho() {
  const applied = new Map(); // rrweb node id -> value the rep set

  function keepMutation(data) {
    if (!data.attributes || !data.attributes.length) return true;
    data.attributes = data.attributes.filter((entry) => {
      if (!applied.has(entry.id) || !entry.attributes || !('value' in entry.attributes)) return true;
      if (entry.attributes.value !== applied.get(entry.id)) return true;
      delete entry.attributes.value;
      return Object.keys(entry.attributes).length > 0;
    });
    const n = (list) => (list ? list.length : 0);
    return n(data.attributes) + n(data.texts) + n(data.removes) + n(data.adds) > 0;
  }

  return {
    // Called by control just before it sets a value.
    applied(id, value) { applied.set(id, String(value)); },
    forget(id) { applied.delete(id); },
    // False for an rrweb event that only echoes the rep's input.
    keep(event) {
      if (event.type !== EventType.IncrementalSnapshot || !applied.size) return true;
      const data = event.data;
      if (data.source === IncrementalSource.Input) {
        if (!applied.has(data.id)) return true;
        if (data.text === applied.get(data.id)) return false;
        applied.delete(data.id);
        return true;
      }
      if (data.source === IncrementalSource.Mutation) return keepMutation(data);
      return true;
    },
  };
}
