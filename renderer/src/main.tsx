import './zod-setup.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { startSession } from './auth/sign-in.js';
import './styles/app.css';

/** Entry of the teacher dashboard (`/admin/`). */
const container = document.getElementById('root');
if (!container) throw new Error('The page has no #root element.');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void startSession();
