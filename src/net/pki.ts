// Owns the cluster PKI: the cluster CA, node keys and certificate signing requests, node
// certificates signed by the CA, and the checks other code needs on them.
//
// Inputs: names, addresses, the current time (passed in, never read here), PEM text.
// Outputs: PEM: certificates, PKCS#8 private keys ("BEGIN PRIVATE KEY"), CSRs.
// Invariants:
// - all keys are ECDSA P-256 signed with SHA-256, which both Node's TLS (OpenSSL) and etcd
//   (Go's crypto/x509) accept;
// - the CA may sign only end-entity certificates (pathLength 0); a node certificate is valid for
//   both TLS server and client auth, because etcd peers and clients use one certificate for both;
// - a node certificate never outlives the CA that signed it;
// - the identity in a node certificate (CN and SANs) is the signer's decision: the CSR
//   contributes only its public key, and its signature must prove possession of the private key.

import { createHash, createPublicKey, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import 'reflect-metadata'; // @peculiar/x509's tsyringe needs the Reflect metadata API, loaded first
import * as x509 from '@peculiar/x509';
import { limits } from '../core/limits.js';
import { assert, err, failure, ok, type Failure, type Result } from '../core/result.js';

// @peculiar/x509 finds its WebCrypto implementation through this process-wide provider.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const subtle = webcrypto.subtle;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const dayMs = 24 * 3600 * 1000;

export interface CaMaterial {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface NodeCertificateOptions {
  readonly nodeName: string;
  readonly ipAddresses: readonly string[];
  readonly dnsNames: readonly string[];
  readonly nowMs: number;
  readonly validityDays?: number;
}

export type PkiFailureCode = 'bad_csr' | 'bad_node_name' | 'bad_address' | 'bad_ca' | 'bad_validity';
export type PkiFailure = Failure<PkiFailureCode>;

// A node name is also a DNS label-ish SAN and a CN: keep it to what every consumer accepts.
const nodeNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$/;
const dnsNamePattern =
  /^(?=.{1,253}$)(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function checkNodeName(nodeName: string): Result<string, PkiFailure> {
  return nodeNamePattern.test(nodeName)
    ? ok(nodeName)
    : err(failure('bad_node_name', `invalid node name ${JSON.stringify(nodeName)}`, 'nodeName'));
}

/** A positive 16-byte serial: RFC 5280 wants it positive, unique and at most 20 bytes. */
function randomSerialHex(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40; // top bit clear (positive), never a leading zero
  return Buffer.from(bytes).toString('hex');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importPrivateKey(keyPem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(keyPem);
  return subtle.importKey('pkcs8', der, keyAlgorithm, false, ['sign']);
}

/** The self-signed cluster CA, valid `limits.clusterCaValidityDays` from `nowMs`. */
export async function createClusterCa(
  clusterName: string,
  nowMs: number,
): Promise<{ certPem: string; keyPem: string }> {
  assert(clusterName.length > 0 && clusterName.length <= 48, 'cluster name of 1..48 characters');
  assert(Number.isFinite(nowMs), 'nowMs must be a time');
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    // JSON form, not a DN string: a name with commas or '=' cannot inject attributes.
    name: [{ CN: [`${clusterName} cluster CA`] }, { O: ['herd'] }],
    notBefore: new Date(nowMs - limits.certificateBackdateMs),
    notAfter: new Date(nowMs + limits.clusterCaValidityDays * dayMs),
    keys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A new node key and a CSR for it, signed with it (proof of possession). */
export async function createKeyAndCsr(nodeName: string): Promise<{ keyPem: string; csrPem: string }> {
  assert(checkNodeName(nodeName).ok, `invalid node name ${JSON.stringify(nodeName)}`);
  const keys = await generateKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [nodeName] }],
    keys,
    signingAlgorithm,
  });
  return { keyPem: await privateKeyPem(keys.privateKey), csrPem: csr.toString('pem') };
}

async function parseCsr(csrPem: string): Promise<Result<x509.Pkcs10CertificateRequest, PkiFailure>> {
  if (csrPem.length > limits.csrBytesMax) {
    return err(failure('bad_csr', `CSR longer than ${limits.csrBytesMax} bytes`, 'csr'));
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (e) {
    return err(failure('bad_csr', `CSR does not parse: ${messageOf(e)}`, 'csr'));
  }
  try {
    const spki = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    if (spki.asymmetricKeyType !== 'ec' || spki.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      return err(failure('bad_csr', 'CSR key must be ECDSA P-256', 'csr'));
    }
    if (!(await csr.verify())) return err(failure('bad_csr', 'CSR signature does not verify', 'csr'));
  } catch (e) {
    return err(failure('bad_csr', `CSR cannot be checked: ${messageOf(e)}`, 'csr'));
  }
  return ok(csr);
}

function subjectAltNames(options: NodeCertificateOptions): Result<x509.JsonGeneralName[], PkiFailure> {
  // Loopback names let the node's own etcd clients reach its local member over TLS.
  const ips = new Set(['127.0.0.1', '::1']);
  for (const ip of options.ipAddresses) {
    if (isIP(ip) === 0) return err(failure('bad_address', `not an IP address: ${ip}`, 'ipAddresses'));
    ips.add(ip);
  }
  const dns = new Set(['localhost']);
  if (dnsNamePattern.test(options.nodeName)) dns.add(options.nodeName);
  for (const name of options.dnsNames) {
    if (!dnsNamePattern.test(name)) {
      return err(failure('bad_address', `not a DNS name: ${JSON.stringify(name)}`, 'dnsNames'));
    }
    dns.add(name.toLowerCase());
  }
  return ok([
    ...[...dns].map((value) => ({ type: 'dns' as const, value })),
    ...[...ips].map((value) => ({ type: 'ip' as const, value })),
  ]);
}

function validityEnd(options: NodeCertificateOptions, ca: x509.X509Certificate): Result<Date, PkiFailure> {
  const days = options.validityDays ?? limits.nodeCertValidityDaysDefault;
  if (!Number.isInteger(days) || days < 1 || days > limits.nodeCertValidityDaysMax) {
    const text = `validity must be 1..${limits.nodeCertValidityDaysMax} days`;
    return err(failure('bad_validity', text, 'validityDays'));
  }
  const endMs = Math.min(options.nowMs + days * dayMs, ca.notAfter.getTime());
  if (endMs <= options.nowMs) return err(failure('bad_ca', 'the cluster CA has expired', 'ca'));
  return ok(new Date(endMs));
}

async function loadCa(ca: CaMaterial): Promise<Result<{ cert: x509.X509Certificate; key: CryptoKey }, PkiFailure>> {
  try {
    const cert = new x509.X509Certificate(ca.certPem);
    const key = await importPrivateKey(ca.keyPem);
    return ok({ cert, key });
  } catch (e) {
    return err(failure('bad_ca', `cluster CA material unusable: ${messageOf(e)}`, 'ca'));
  }
}

/** Signs a node certificate for the key in `csrPem`, with the identity given in `options`. */
export async function signNodeCertificate(
  ca: CaMaterial,
  csrPem: string,
  options: NodeCertificateOptions,
): Promise<Result<{ certPem: string }, Failure>> {
  assert(Number.isFinite(options.nowMs), 'nowMs must be a time');
  const name = checkNodeName(options.nodeName);
  if (!name.ok) return name;
  const csr = await parseCsr(csrPem);
  if (!csr.ok) return csr;
  const sans = subjectAltNames(options);
  if (!sans.ok) return sans;
  const loaded = await loadCa(ca);
  if (!loaded.ok) return loaded;
  const { cert: caCert, key: caKey } = loaded.value;
  const notAfter = validityEnd(options, caCert);
  if (!notAfter.ok) return notAfter;
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const authorityKeyId =
    caKeyId === undefined
      ? await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey)
      : new x509.AuthorityKeyIdentifierExtension(caKeyId);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: [{ CN: [options.nodeName] }, { O: ['herd'] }],
    issuer: caCert.subjectName,
    notBefore: new Date(options.nowMs - limits.certificateBackdateMs),
    notAfter: notAfter.value,
    publicKey: csr.value.publicKey,
    signingKey: caKey,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      new x509.SubjectAlternativeNameExtension(sans.value, false),
      await x509.SubjectKeyIdentifierExtension.create(csr.value.publicKey),
      authorityKeyId,
    ],
  });
  return ok({ certPem: cert.toString('pem') });
}

/** Convenience for a node whose key may be made where the CA is: a new key and its certificate. */
export async function issueNodeCertificate(
  ca: CaMaterial,
  options: NodeCertificateOptions,
): Promise<Result<{ keyPem: string; certPem: string }, Failure>> {
  const name = checkNodeName(options.nodeName);
  if (!name.ok) return name;
  const { keyPem, csrPem } = await createKeyAndCsr(options.nodeName);
  const signed = await signNodeCertificate(ca, csrPem, options);
  return signed.ok ? ok({ keyPem, certPem: signed.value.certPem }) : signed;
}

/** SHA-256 of the certificate's DER, lower-case hex without separators. */
export function fingerprintSha256(certPem: string): string {
  const der = x509.PemConverter.decodeFirst(certPem);
  return createHash('sha256').update(new Uint8Array(der)).digest('hex');
}

/** The subject's single CN, or undefined when the PEM does not parse or has no single CN. */
export function certificateCommonName(certPem: string): string | undefined {
  try {
    const names = new x509.X509Certificate(certPem).subjectName.getField('CN');
    return names.length === 1 ? names[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `caCertPem` names the certificate's issuer and its key verifies the signature; with
 * `nowMs`, the certificate must also be within its validity period then.
 */
export async function verifyIssuedBy(certPem: string, caCertPem: string, nowMs?: number): Promise<boolean> {
  let cert: x509.X509Certificate;
  let caCert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
    caCert = new x509.X509Certificate(caCertPem);
  } catch {
    return false;
  }
  if (cert.issuerName.toString() !== caCert.subjectName.toString()) return false;
  if (nowMs !== undefined) {
    if (nowMs < cert.notBefore.getTime() || nowMs > cert.notAfter.getTime()) return false;
  }
  try {
    return await cert.verify({ publicKey: caCert.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
