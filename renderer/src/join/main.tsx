import '../zod-setup.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { JoinApp } from './join-app.js';
import { LANGUAGE_STORAGE_KEY, pickLanguage } from './join-logic.js';
import './join.css';

/** Entry of the participant page (`/`, assets under `/join/`). */
function rememberedLanguage(): string | null {
  try {
    return localStorage.getItem(LANGUAGE_STORAGE_KEY);
  } catch {
    return null;
  }
}

const container = document.getElementById('root');
if (!container) throw new Error('The page has no #root element.');
createRoot(container).render(
  <StrictMode>
    <JoinApp initialLanguage={pickLanguage(navigator.language, rememberedLanguage())} />
  </StrictMode>,
);
