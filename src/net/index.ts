// Public surface of src/net: the cluster PKI, framing, RPC and the mutual-TLS peer transport.
// Other folders import from here only.

export {
  certificateCommonName,
  checkNodeName,
  createClusterCa,
  createKeyAndCsr,
  fingerprintSha256,
  issueNodeCertificate,
  signNodeCertificate,
  verifyIssuedBy,
  type CaMaterial,
  type NodeCertificateOptions,
  type PkiFailure,
  type PkiFailureCode,
} from './pki.js';
export { encodeFrame, FrameDecoder, frameHeaderBytes, type FrameFailure } from './frame.js';
export type { PeerFailure, PeerFailureCode, PeerHandler, PeerIdentity, RpcErrorBody } from './rpc.js';
export {
  PeerServer,
  type PeerServerOptions,
  type PeerServerStats,
  type TlsMaterial,
} from './transport.js';
export {
  PeerClient,
  type PeerClientOptions,
  type PeerClientState,
  type PeerClientStatus,
  type RequestOptions,
} from './client.js';
