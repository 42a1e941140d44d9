// The notes iframe: Add puts the text in the list and empties the field.
const text = document.getElementById('note-text');
document.getElementById('note-add').addEventListener('click', () => {
  const li = document.createElement('li');
  li.textContent = text.value;
  document.getElementById('note-list').append(li);
  text.value = '';
});
