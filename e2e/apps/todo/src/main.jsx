// A to-do list in React that owns its inputs, as real apps do: the new-item
// box is a controlled input the app clears after Enter and fills from
// "Suggest"; "Mark all as complete" sets every checkbox from state; a row's
// delete button shows only on :hover; filters are hash routes and About is a
// History API route. Beside it, same-origin iframes (notes.html, and
// card.html in an iframe the site masks) and open shadow roots (<owner-card>,
// and <secret-note> whose host the site masks).
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import './owner-card.js';

const FIRST = [
  { id: 1, title: 'first thing', done: false },
  { id: 2, title: 'second thing', done: false },
];

function useWhere() {
  const read = () => ({ path: location.pathname, hash: location.hash });
  const [where, setWhere] = useState(read);
  useEffect(() => {
    const update = () => setWhere(read());
    addEventListener('popstate', update);
    addEventListener('hashchange', update);
    return () => { removeEventListener('popstate', update); removeEventListener('hashchange', update); };
  }, []);
  const go = (path) => { history.pushState(null, '', path); setWhere(read()); };
  return [where, go];
}

function Item({ todo, onToggle, onRemove }) {
  return (
    <li data-id={todo.id} className={todo.done ? 'completed' : ''}>
      <input className="toggle" type="checkbox" checked={todo.done} onChange={() => onToggle(todo.id)} />
      <label>{todo.title}</label>
      <button type="button" className="destroy" aria-label={`Delete ${todo.title}`} onClick={() => onRemove(todo.id)}>×</button>
    </li>
  );
}

function App() {
  const [todos, setTodos] = useState(FIRST);
  const [text, setText] = useState('');
  const [nextId, setNextId] = useState(3);
  const [where, go] = useWhere();
  const about = where.path.endsWith('/about');
  const filter = where.hash === '#/active' ? 'active' : where.hash === '#/completed' ? 'completed' : 'all';
  const shown = todos.filter((t) => filter === 'all' || (filter === 'active' ? !t.done : t.done));
  const left = todos.filter((t) => !t.done).length;

  function add(event) {
    event.preventDefault();
    const title = text.trim();
    if (!title) return;
    setTodos([...todos, { id: nextId, title, done: false }]);
    setNextId(nextId + 1);
    setText('');
  }
  const toggle = (id) => setTodos(todos.map((t) => (t.id === id ? { ...t, done: !t.done } : t)));
  const remove = (id) => setTodos(todos.filter((t) => t.id !== id));
  const link = (path) => (event) => { event.preventDefault(); go(path); };

  return (
    <>
      <section className="todoapp">
        <header>
          <h1>todos</h1>
          <form id="new-form" onSubmit={add}>
            <input id="new-todo" className="new-todo" placeholder="What needs to be done?" value={text}
              onChange={(event) => setText(event.target.value)} />
          </form>
          <button id="suggest" type="button" onClick={() => setText('water the plants')}>Suggest</button>
          <button id="clear" type="button" onClick={() => setText('')}>Clear</button>
        </header>
        {about ? (
          <main id="about"><h2>About</h2><p>A list of things to do.</p></main>
        ) : (
          <main id="list">
            <input id="toggle-all" className="toggle-all" type="checkbox" checked={todos.length > 0 && left === 0}
              onChange={(event) => setTodos(todos.map((t) => ({ ...t, done: event.target.checked })))} />
            <label htmlFor="toggle-all">Mark all as complete</label>
            <ul className="todo-list">
              {shown.map((todo) => <Item key={todo.id} todo={todo} onToggle={toggle} onRemove={remove} />)}
            </ul>
          </main>
        )}
        <footer>
          <span id="todo-count">{left} {left === 1 ? 'item' : 'items'} left</span>
          <ul className="filters">
            <li><a href="#/" className={filter === 'all' ? 'selected' : ''}>All</a></li>
            <li><a href="#/active" className={filter === 'active' ? 'selected' : ''}>Active</a></li>
            <li><a href="#/completed" className={filter === 'completed' ? 'selected' : ''}>Completed</a></li>
          </ul>
          <a id="home-link" href="/todo/" onClick={link('/todo/')}>List</a>
          {' · '}
          <a id="about-link" href="/todo/about" onClick={link('/todo/about')}>About</a>
        </footer>
      </section>
      <aside>
        <iframe id="notes" title="Notes" src="/todo/notes.html"></iframe>
        <owner-card id="owner"></owner-card>
        <iframe id="card-frame" title="Card" src="/todo/card.html" data-tandem-mask></iframe>
        <secret-note data-tandem-mask></secret-note>
      </aside>
    </>
  );
}

createRoot(document.getElementById('root')).render(<StrictMode><App /></StrictMode>);
