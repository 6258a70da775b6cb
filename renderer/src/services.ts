import { ApiClient } from './api/client.js';
import { currentToken } from './stores/session-store.js';

/**
 * The dashboard's single API client. A 401 for the admin credential anywhere sends the teacher back to the
 * sign-in screen (wired in `auth/sign-in.ts` through `setUnauthorizedHandler`, to keep imports one-way).
 */
let unauthorizedHandler: (message: string) => void = () => undefined;

export function setUnauthorizedHandler(handler: (message: string) => void): void {
  unauthorizedHandler = handler;
}

export const api = new ApiClient({
  getToken: currentToken,
  onUnauthorized: (error) => unauthorizedHandler(error.message),
});
