import type { IssuedToken } from '../../shared/model/ui.ts';

/** How the Access and Sessions lists name each kind of token. */
export const TOKEN_KIND_LABELS: Readonly<Record<IssuedToken['kind'], string>> = {
  paa: 'Short-lived',
  association: 'Relay',
  device: 'Device',
};
