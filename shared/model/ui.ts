/** Domain types the UI shows. Plain data: they cross IPC and HTTP as JSON. */

/** An access token as the UI lists it: its metadata, never the token itself. */
export interface IssuedToken {
  readonly jti: string;
  readonly kind: 'paa' | 'association' | 'device';
  readonly host: string;
  readonly label: string | undefined;
  /** A device token is bound to one device label and lives long; revocation is its safety net. */
  readonly device: string | undefined;
  readonly singleUse: boolean;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | undefined;
}

export interface CertificateInfo {
  readonly source: 'local' | 'imported';
  readonly subject: string;
  readonly issuer: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly fingerprintSha256: string;
  readonly caFingerprintSha256: string | undefined;
  readonly notAfter: string;
}

export interface AuditEntry {
  readonly time: string;
  readonly event: string;
  readonly [field: string]: unknown;
}

export interface HostProbe {
  readonly reachable: boolean;
  readonly latencyMs: number | undefined;
  readonly error: string | undefined;
}

/** A file for the user to save: the renderer turns it into a download (browser) or a save dialog (app). */
export interface ExportedFile {
  readonly fileName: string;
  readonly mimeType: string;
  readonly contentBase64: string;
}

/**
 * A one-time download link (`/download/<code>`) for a phone: its first fetch within `expiresAt` gets `host`'s .rdp
 * file with a new per-device token for `device`. `url` is a secret until used: shown once, as a QR code.
 */
export interface DownloadLink {
  readonly url: string;
  readonly host: string;
  readonly device: string;
  readonly expiresAt: string;
}
