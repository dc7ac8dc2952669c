/**
 * Signing .rdp files as rdpsign does ([MS-RDWR]-style `signscope` + `signature`).
 *
 * The secure settings present are hashed in the rdpsign table order: each `key:type:value` line + CRLF, then the
 * `signscope:s:` line + CRLF, as UTF-16LE followed by one UTF-16 NUL. The signature is a detached PKCS#7 SignedData
 * (id-data, SHA-256, signer by issuer and serial, no signed attributes — the form of the Microsoft sample and of
 * rdpsign-go) carrying the signer certificate and its chain, prefixed with a 12-byte header and base64-encoded.
 *
 * node-forge's `pkcs7.sign` only handles RSA keys, and the gateway's certificate may be ECDSA P-256 (a setting; RSA
 * is the default, since no one has confirmed that MSTSC verifies an ECDSA signature), so the SignedData is assembled here with forge's ASN.1 encoder and the signature value comes from node's crypto (RSA
 * PKCS#1 v1.5 or ECDSA with SHA-256, depending on the key).
 */
import { X509Certificate, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import forge from 'node-forge';
import { RdpFileError, formatSetting, type RdpSetting } from './rdp-file.ts';

/** rdpsign's secure settings: signscope name and file key, in the order they are hashed. */
export const SECURE_SETTINGS: readonly (readonly [scopeName: string, key: string])[] = [
  ['Full Address', 'full address'],
  ['Alternate Full Address', 'alternate full address'],
  ['PCB', 'pcb'],
  ['Use Redirection Server Name', 'use redirection server name'],
  ['Server Port', 'server port'],
  ['Negotiate Security Layer', 'negotiate security layer'],
  ['EnableCredSspSupport', 'enablecredsspsupport'],
  ['DisableConnectionSharing', 'disableconnectionsharing'],
  ['AutoReconnection Enabled', 'autoreconnection enabled'],
  ['GatewayHostname', 'gatewayhostname'],
  ['GatewayUsageMethod', 'gatewayusagemethod'],
  ['GatewayProfileUsageMethod', 'gatewayprofileusagemethod'],
  ['GatewayCredentialsSource', 'gatewaycredentialssource'],
  ['Support URL', 'support url'],
  ['PromptCredentialOnce', 'promptcredentialonce'],
  ['Require pre-authentication', 'require pre-authentication'],
  ['Pre-authentication server address', 'pre-authentication server address'],
  ['Alternate Shell', 'alternate shell'],
  ['Shell Working Directory', 'shell working directory'],
  ['RemoteApplicationProgram', 'remoteapplicationprogram'],
  ['RemoteApplicationExpandWorkingdir', 'remoteapplicationexpandworkingdir'],
  ['RemoteApplicationMode', 'remoteapplicationmode'],
  ['RemoteApplicationGuid', 'remoteapplicationguid'],
  ['RemoteApplicationName', 'remoteapplicationname'],
  ['RemoteApplicationIcon', 'remoteapplicationicon'],
  ['RemoteApplicationFile', 'remoteapplicationfile'],
  ['RemoteApplicationFileExtensions', 'remoteapplicationfileextensions'],
  ['RemoteApplicationCmdLine', 'remoteapplicationcmdline'],
  ['RemoteApplicationExpandCmdLine', 'remoteapplicationexpandcmdline'],
  ['Prompt For Credentials', 'prompt for credentials'],
  ['Authentication Level', 'authentication level'],
  ['AudioMode', 'audiomode'],
  ['RedirectDrives', 'redirectdrives'],
  ['RedirectPrinters', 'redirectprinters'],
  ['RedirectCOMPorts', 'redirectcomports'],
  ['RedirectSmartCards', 'redirectsmartcards'],
  ['RedirectPOSDevices', 'redirectposdevices'],
  ['RedirectClipboard', 'redirectclipboard'],
  ['DevicesToRedirect', 'devicestoredirect'],
  ['DrivesToRedirect', 'drivestoredirect'],
  ['LoadBalanceInfo', 'loadbalanceinfo'],
  ['RedirectDirectX', 'redirectdirectx'],
  ['RDGIsKDCProxy', 'rdgiskdcproxy'],
  ['KDCProxyName', 'kdcproxyname'],
  ['EventLogUploadAddress', 'eventloguploadaddress'],
];

/** The signer: its certificate chain (leaf first) and private key, PEM. The gateway's TLS material fits. */
export interface RdpSigner {
  /** The signer certificate, optionally followed by its issuers (all are embedded in the signature). */
  readonly chainPem: string;
  readonly keyPem: string;
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

/** The 12-byte header before the DER: version 0x00010001, type 1 (certificate signature), DER length; all LE. */
const HEADER_VERSION = 0x00010001;
const HEADER_TYPE = 1;

export interface SignedRdp {
  /** The settings to write: the unsigned ones, then the secure ones in table order, `signscope`, `signature`. */
  readonly settings: RdpSetting[];
  /** The exact bytes covered by the signature (UTF-16LE + NUL). */
  readonly signedBytes: Buffer;
  /** The detached PKCS#7 SignedData, DER (without the 12-byte header). */
  readonly pkcs7Der: Buffer;
}

/** Signs a list of settings like rdpsign; existing `signscope`/`signature` settings are dropped first. */
export function signRdpSettings(input: readonly RdpSetting[], signer: RdpSigner): SignedRdp {
  const settings = input.filter(([name]) => name !== 'signscope' && name !== 'signature');
  const byKey = new Map<string, RdpSetting>();
  for (const setting of settings) {
    const key = setting[0].toLowerCase();
    if (byKey.has(key)) throw new RdpFileError(`setting "${key}" appears twice; refusing to sign`);
    byKey.set(key, setting);
  }
  const fullAddress = byKey.get('full address');
  if (!fullAddress) throw new RdpFileError('a signed .rdp file needs a full address');
  if (!byKey.has('alternate full address')) {
    const alternate: RdpSetting = ['alternate full address', 's', fullAddress[2]];
    byKey.set('alternate full address', alternate);
    settings.push(alternate);
  }
  const secureKeys = new Set(SECURE_SETTINGS.map(([, key]) => key));
  const secure: RdpSetting[] = [];
  const scope: string[] = [];
  for (const [scopeName, key] of SECURE_SETTINGS) {
    const setting = byKey.get(key);
    if (!setting) continue;
    secure.push(setting);
    scope.push(scopeName);
  }
  const signscope: RdpSetting = ['signscope', 's', scope.join(',')];
  const signedText = [...secure, signscope].map((setting) => formatSetting(setting) + '\r\n').join('');
  const signedBytes = Buffer.concat([Buffer.from(signedText, 'utf16le'), Buffer.alloc(2)]);
  const pkcs7Der = detachedSignedData(signedBytes, signer);
  const header = Buffer.alloc(12);
  header.writeUInt32LE(HEADER_VERSION, 0);
  header.writeUInt32LE(HEADER_TYPE, 4);
  header.writeUInt32LE(pkcs7Der.length, 8);
  const signature: RdpSetting = ['signature', 's', Buffer.concat([header, pkcs7Der]).toString('base64')];
  const unsigned = settings.filter(([name]) => !secureKeys.has(name.toLowerCase()));
  return { settings: [...unsigned, ...secure, signscope, signature], signedBytes, pkcs7Der };
}

/** The DER certificates in a PEM bundle, in order. */
function pemCertificates(pem: string): Buffer[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  return blocks.map((block) => Buffer.from((block[1] ?? '').replace(/\s+/g, ''), 'base64'));
}

const { asn1 } = forge;
const { Class, Type } = asn1;

function derToAsn1(der: Buffer): forge.asn1.Asn1 {
  return asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
}

function oid(value: string): forge.asn1.Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(value).getBytes());
}

function algorithm(value: string, withNullParameters: boolean): forge.asn1.Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    oid(value),
    ...(withNullParameters ? [asn1.create(Class.UNIVERSAL, Type.NULL, false, '')] : []),
  ]);
}

function integer(bytes: number): forge.asn1.Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.INTEGER, false, asn1.integerToDer(bytes).getBytes());
}

/** issuer Name and serialNumber INTEGER of a certificate, as they are in its tbsCertificate. */
function issuerAndSerial(certDer: Buffer): forge.asn1.Asn1 {
  const certificate = derToAsn1(certDer);
  const tbs = (certificate.value as forge.asn1.Asn1[])[0];
  const fields = (tbs?.value ?? []) as forge.asn1.Asn1[];
  // tbsCertificate: [0] version (optional), serialNumber, signature, issuer, ...
  const offset = fields[0]?.tagClass === Class.CONTEXT_SPECIFIC ? 1 : 0;
  const serial = fields[offset];
  const issuer = fields[offset + 2];
  if (!serial || !issuer) throw new RdpFileError('the signer certificate cannot be parsed');
  return asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [issuer, serial]);
}

function detachedSignedData(content: Buffer, signer: RdpSigner): Buffer {
  const certificates = pemCertificates(signer.chainPem);
  const leaf = certificates[0];
  if (!leaf) throw new RdpFileError('no signer certificate');
  const key = createPrivateKey(signer.keyPem);
  if (!new X509Certificate(leaf).checkPrivateKey(key)) {
    throw new RdpFileError('the signing key does not belong to the signer certificate');
  }
  let signatureAlgorithm: forge.asn1.Asn1;
  if (key.asymmetricKeyType === 'rsa') signatureAlgorithm = algorithm(OID.rsaEncryption, true);
  else if (key.asymmetricKeyType === 'ec') signatureAlgorithm = algorithm(OID.ecdsaWithSha256, false);
  else throw new RdpFileError(`cannot sign with a ${String(key.asymmetricKeyType)} key`);
  // No signed attributes: the signature is over the content itself (RSA PKCS#1 v1.5 / ECDSA, SHA-256).
  const signatureValue = cryptoSign('sha256', content, key);

  const signerInfo = asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    integer(1),
    issuerAndSerial(leaf),
    algorithm(OID.sha256, true),
    signatureAlgorithm,
    asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, signatureValue.toString('binary')),
  ]);
  const signedData = asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    integer(1),
    asn1.create(Class.UNIVERSAL, Type.SET, true, [algorithm(OID.sha256, true)]),
    // encapContentInfo without eContent: detached.
    asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [oid(OID.data)]),
    asn1.create(Class.CONTEXT_SPECIFIC, 0, true, certificates.map(derToAsn1)),
    asn1.create(Class.UNIVERSAL, Type.SET, true, [signerInfo]),
  ]);
  const contentInfo = asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    oid(OID.signedData),
    asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [signedData]),
  ]);
  return Buffer.from(asn1.toDer(contentInfo).getBytes(), 'binary');
}
