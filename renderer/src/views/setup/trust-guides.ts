import type { CallInput } from '../../../../shared/ipc/contract.ts';

export type CaFormat = CallInput<'certs.exportCa'>['format'];

export interface TrustGuide {
  readonly id: string;
  readonly label: string;
  /** The file this platform imports, and the button that downloads it. */
  readonly download: { readonly format: CaFormat; readonly label: string };
  readonly steps: readonly string[];
  readonly note?: string;
}

/** How each platform comes to trust the gateway's own CA, step by step, in the words its settings use. */
export const TRUST_GUIDES: readonly TrustGuide[] = [
  {
    id: 'windows',
    label: 'Windows',
    download: { format: 'der', label: 'Download homegate-ca.cer' },
    steps: [
      'Open the downloaded homegate-ca.cer and choose Install Certificate.',
      'Choose Current User, then "Place all certificates in the following store", Browse, and pick Trusted Root Certification Authorities.',
      'Finish, and answer Yes when Windows asks whether to install it.',
      'MSTSC and the Windows App trust the gateway from now on.',
    ],
  },
  {
    id: 'macos',
    label: 'macOS',
    download: { format: 'mobileconfig', label: 'Download the profile (.mobileconfig)' },
    steps: [
      'Open the downloaded homegate-ca.mobileconfig.',
      'Open System Settings, then Privacy & Security, Profiles (General, Device Management on some versions).',
      'Choose "Homegate gateway certificate" and Install; enter your Mac password when asked.',
    ],
  },
  {
    id: 'ios',
    label: 'iPhone and iPad',
    download: { format: 'mobileconfig', label: 'Download the profile (.mobileconfig)' },
    steps: [
      'Download the profile in Safari (scan the page address, or send the file to the device) and allow the download.',
      'Open Settings, then General, VPN & Device Management, "Homegate gateway certificate", and Install.',
      'Then Settings, General, About, Certificate Trust Settings: turn on full trust for Homegate CA.',
    ],
    note: 'Without the last step iOS installs the profile but still does not trust the gateway.',
  },
  {
    id: 'android',
    label: 'Android',
    download: { format: 'android', label: 'Download homegate-ca-android.crt' },
    steps: [
      'Open Settings, then Security (or Security & privacy), More security settings, Encryption & credentials.',
      'Choose Install a certificate, then CA certificate, Install anyway, and pick homegate-ca-android.crt.',
    ],
    note: 'Each Android app decides whether it trusts certificates you add. If the Windows App still refuses the gateway, use a publicly trusted certificate instead.',
  },
  {
    id: 'linux',
    label: 'Linux, FreeRDP, Remmina',
    download: { format: 'crt', label: 'Download homegate-ca.crt' },
    steps: [
      'Debian and Ubuntu: sudo cp homegate-ca.crt /usr/local/share/ca-certificates/ && sudo update-ca-certificates',
      'Fedora: sudo cp homegate-ca.crt /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust',
      'FreeRDP and Remmina check the gateway against the system list, so nothing more is needed.',
    ],
  },
];
