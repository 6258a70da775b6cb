import { useState } from 'react';

export default function App() {
  const [clicks, setClicks] = useState(0);

  return (
    <main className="app">
      <h1>React starter</h1>
      <p>
        Edit <code>src/App.jsx</code> and save: the page updates by itself.
      </p>
      <button type="button" onClick={() => setClicks((n) => n + 1)}>
        Clicked {clicks} {clicks === 1 ? 'time' : 'times'}
      </button>
    </main>
  );
}
