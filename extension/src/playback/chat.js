// The chat as it stood at the playback position: lines appear at their time.
export function createChat(list, empty, lines, repsOnly) {
  const items = lines.map((line) => {
    const li = document.createElement('li');
    li.dataset.t = String(line.t);
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = line.name;
    li.append(who, document.createTextNode(line.text));
    if (line.reps_only) {
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = repsOnly;
      li.append(tag);
    }
    li.hidden = true;
    list.append(li);
    return li;
  });

  function show(position) {
    let shown = 0;
    lines.forEach((line, i) => {
      const visible = line.t <= position;
      items[i].hidden = !visible;
      if (visible) shown += 1;
    });
    empty.hidden = shown > 0;
  }

  return { advance: show, seek: show, pause() {} };
}
