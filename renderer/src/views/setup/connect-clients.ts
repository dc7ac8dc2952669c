/** How each Remote Desktop client connects through the gateway, for the "Connect from…" helper. */
export interface ClientGuide {
  readonly id: string;
  readonly label: string;
  readonly steps: readonly string[];
}

export const CLIENT_GUIDES: readonly ClientGuide[] = [
  {
    id: 'mstsc',
    label: 'Windows (MSTSC)',
    steps: ['Download the .rdp file and double-click it: Remote Desktop Connection opens it through the gateway.'],
  },
  {
    id: 'windows-app-mac',
    label: 'Windows App on macOS',
    steps: ['Download the .rdp file and open it: the Windows App imports it, gateway and token included.'],
  },
  {
    id: 'windows-app-ios',
    label: 'Windows App on iPhone and iPad',
    steps: [
      'Scan the code for this device below, or open the .rdp file from Files; share it to the Windows App.',
      'Trust the certificate first (step 3): iOS refuses a gateway it does not trust without saying much.',
    ],
  },
  {
    id: 'windows-app-android',
    label: 'Windows App on Android',
    steps: ['Scan the code below, then open the downloaded .rdp file with the Windows App.'],
  },
  {
    id: 'freerdp',
    label: 'FreeRDP',
    steps: ['Make a command line below: it carries a fresh token, so copy it now and run it within its lifetime.'],
  },
  {
    id: 'remmina',
    label: 'Remmina',
    steps: [
      'Download the .rdp file, then in Remmina choose Import (the menu, or drag the file onto the window).',
      'The imported connection uses the gateway and its token; connect from the list.',
    ],
  },
];

/**
 * The FreeRDP command lines for one host through the gateway with `token`: FreeRDP 2 (`/g: /gt:http /gat:`) and
 * FreeRDP 3 (`/gateway:g:…,type:http,access-token:…`), as the end-to-end tests run them. FreeRDP 3 dials port 443
 * whatever port `g:` names, so its line works only when the gateway is reached on 443.
 */
export function freerdpCommands(host: string, gateway: string, token: string): { v2: string; v3: string } {
  return {
    v2: `xfreerdp /v:${host} /g:${gateway} /gt:http /gat:${token}`,
    v3: `xfreerdp3 /v:${host} /gateway:g:${gateway},type:http,access-token:${token}`,
  };
}
