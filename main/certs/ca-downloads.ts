/**
 * The local CA in the forms each client platform imports: PEM (Linux, FreeRDP, Remmina; also as `.crt`), DER
 * (Windows' certificate import, and Android's "Install a certificate → CA certificate", which takes a DER `.crt`),
 * and an Apple configuration profile (.mobileconfig) for iOS, iPadOS and macOS carrying the CA as a
 * `com.apple.security.root` payload. The profile is unsigned (the device says "Unverified", which is what a
 * personal CA is); its identifiers derive from the CA's fingerprint, so downloading it again replaces the old one.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { ExportedFile } from '../../shared/model/ui.ts';

export const CA_DOWNLOAD_FORMATS = ['pem', 'der', 'crt', 'android', 'mobileconfig'] as const;
export type CaDownloadFormat = (typeof CA_DOWNLOAD_FORMATS)[number];

export const MOBILECONFIG_MIME_TYPE = 'application/x-apple-aspen-config';

/** The CA certificate's DER bytes. */
export function caDer(caPem: string): Buffer {
  return Buffer.from(new X509Certificate(caPem).raw);
}

/** A UUID (version 4 layout) taken from a hash, so the same CA always gives the same profile identifiers. */
function uuidFrom(der: Buffer, purpose: string): string {
  const bytes = createHash('sha256').update(purpose).update(der).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const xml = (text: string): string => text.replace(/[&<>]/g, (char) => XML_ESCAPES[char] ?? char);
const entry = (key: string, value: string): string => `<key>${xml(key)}</key>${value}`;
const string = (text: string): string => `<string>${xml(text)}</string>`;

/** An Apple configuration profile (an XML property list) that installs `caPem` as a trusted root. */
export function appleProfile(caPem: string): Buffer {
  const der = caDer(caPem);
  const certificateUuid = uuidFrom(der, 'homegate-ca-payload');
  const profileUuid = uuidFrom(der, 'homegate-ca-profile');
  const base64 = der.toString('base64').replace(/.{1,68}/g, (line) => `\n${line}`);
  const certificate = [
    '<dict>',
    entry('PayloadCertificateFileName', string('homegate-ca.cer')),
    entry('PayloadContent', `<data>${base64}\n</data>`),
    entry('PayloadDescription', string("Trusts the Homegate gateway's own certificate authority.")),
    entry('PayloadDisplayName', string('Homegate CA')),
    entry('PayloadIdentifier', string(`app.homegate.ca.${certificateUuid}`)),
    entry('PayloadType', string('com.apple.security.root')),
    entry('PayloadUUID', string(certificateUuid)),
    entry('PayloadVersion', '<integer>1</integer>'),
    '</dict>',
  ];
  const profile = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    entry('PayloadContent', ['<array>', ...certificate, '</array>'].join('\n')),
    entry('PayloadDescription', string('Lets this device trust your Homegate gateway for Remote Desktop.')),
    entry('PayloadDisplayName', string('Homegate gateway certificate')),
    entry('PayloadIdentifier', string(`app.homegate.profile.${profileUuid}`)),
    entry('PayloadRemovalDisallowed', '<false/>'),
    entry('PayloadType', string('Configuration')),
    entry('PayloadUUID', string(profileUuid)),
    entry('PayloadVersion', '<integer>1</integer>'),
    '</dict>',
    '</plist>',
    '',
  ];
  return Buffer.from(profile.join('\n'), 'utf8');
}

/** The CA as a file to download, in the form `format` names. */
export function caDownload(caPem: string, format: CaDownloadFormat): ExportedFile {
  const file = (fileName: string, mimeType: string, content: Buffer): ExportedFile => ({
    fileName,
    mimeType,
    contentBase64: content.toString('base64'),
  });
  switch (format) {
    case 'pem':
      return file('homegate-ca.pem', 'application/x-pem-file', Buffer.from(caPem, 'utf8'));
    case 'crt':
      return file('homegate-ca.crt', 'application/x-x509-ca-cert', Buffer.from(caPem, 'utf8'));
    case 'der':
      return file('homegate-ca.cer', 'application/pkix-cert', caDer(caPem));
    case 'android':
      return file('homegate-ca-android.crt', 'application/x-x509-ca-cert', caDer(caPem));
    case 'mobileconfig':
      return file('homegate-ca.mobileconfig', MOBILECONFIG_MIME_TYPE, appleProfile(caPem));
  }
}
