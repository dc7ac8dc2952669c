/**
 * How the headless web admin page speaks the contract over HTTP (the browser's transport; the desktop app uses
 * Electron IPC with the same contract). Everything lives under `/admin/`:
 *
 *   GET  /admin/                     the renderer (same bundle as the app), served with a strict CSP
 *   GET  /admin/api/session          200 { csrfToken } when logged in, else 401
 *   POST /admin/api/login            { password } → 204 with the session cookie (rate-limited), or 401 / 429
 *   POST /admin/api/logout           ends the session
 *   POST /admin/api/call/<name>      { input } → 200 { result } | 4xx/5xx { error: { code, message } }
 *   GET  /admin/api/events           WebSocket; server → client text messages { event, payload }
 *
 * The session cookie is HttpOnly, Secure, SameSite=Strict, Path=/admin. Every POST but login must carry the
 * CSRF token from /session in the CSRF header (double submit, on top of SameSite).
 */
export const ADMIN_BASE_PATH = '/admin/';
export const ADMIN_API = {
  session: '/admin/api/session',
  login: '/admin/api/login',
  logout: '/admin/api/logout',
  call: '/admin/api/call/',
  events: '/admin/api/events',
} as const;
export const SESSION_COOKIE = 'homegate_session';
export const CSRF_HEADER = 'x-homegate-csrf';

export interface SessionResponse {
  readonly csrfToken: string;
}

export interface CallResponse {
  readonly result: unknown;
}

export interface ErrorResponse {
  readonly error: { readonly code: string; readonly message: string };
}

export interface EventMessage {
  readonly event: string;
  readonly payload: unknown;
}
