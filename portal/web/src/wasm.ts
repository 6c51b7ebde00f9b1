// The Go client cryptography compiled to WebAssembly (portal/wasm): the
// same code as the CLI, so keys, wraps, sealed labels and payloads are
// interchangeable with `medchaind`. Private keys stay inside the module.

declare const Go: any;

/** Signs an ADR-036 document with the account key. */
export type DocSigner = (doc: Uint8Array) => Promise<{ signature: Uint8Array; pubKey: Uint8Array }>;

export interface Binding {
  chainId: string;
  anchor?: string;
  recordId: bigint | string;
  keyEpoch: bigint | string;
  grantee: string;
}

export interface ReasonBinding {
  chainId: string;
  requester: string;
  owner: string;
}

export interface TicketFields {
  purpose: "read" | "upload" | "log";
  reader: string;
  chainId: string;
  vault: string;
  recordId?: bigint | string;
  version?: bigint | string;
  cid?: string;
  size?: number;
}

export interface EnrolmentFields {
  chainId: string;
  hospital: string;
  patient: string;
  /** 3600, 86400 or 604800. */
  validSeconds: number;
}

interface Api {
  derivationText(chainId: string): string | Error;
  deriveKey(address: string, chainId: string, sign: DocSigner): Promise<{ publicKey: Uint8Array; keyId: string }>;
  deriveLegacyKey(address: string, sign: DocSigner): Promise<{ publicKey: Uint8Array; keyId: string }>;
  newRecordKey(): Uint8Array | Error;
  wrap(publicKey: Uint8Array, recordKey: Uint8Array, b: Binding): Uint8Array | Error;
  unwrap(address: string, w: { keyId: string; keyEpoch: string; ciphertext: Uint8Array }, b: Binding): Uint8Array | Error;
  sealLabel(recordKey: Uint8Array, owner: string, label: string): Uint8Array | Error;
  openLabel(recordKey: Uint8Array, owner: string, sealed: Uint8Array): string | Error;
  sealReason(ownerPublicKey: Uint8Array, reason: string, b: ReasonBinding): Uint8Array | Error;
  openReason(owner: string, sealed: Uint8Array, b: ReasonBinding): string | Error;
  encryptedSize(n: number): number | Error;
  kind(head: Uint8Array): string | Error;
  sniffBytes: number;
  ticket(f: TicketFields, sign: DocSigner): Promise<string>;
  encrypt(o: {
    size: number;
    recordKey: Uint8Array;
    read: () => Promise<Uint8Array | null>;
    write: (chunk: Uint8Array) => void | Promise<void>;
  }): Promise<{ cid: string; encryptedSize: number }>;
  reencrypt(o: {
    cid: string;
    encryptedSize: number;
    oldKey: Uint8Array;
    newKey: Uint8Array;
    read: () => Promise<Uint8Array | null>;
    write: (chunk: Uint8Array) => void | Promise<void>;
  }): Promise<{ cid: string; encryptedSize: number }>;
  consentBundle(grantsJSON: string, now: string): string | Error;
  enrolmentCode(f: EnrolmentFields, sign: DocSigner): Promise<{ code: string; expires: string }>;
  decrypt(o: {
    cid: string;
    encryptedSize: number;
    recordKey: Uint8Array;
    read: () => Promise<Uint8Array | null>;
    write: (chunk: Uint8Array) => void | Promise<void>;
  }): Promise<number>;
}

let api: Api | undefined;

/** Loads medchain.wasm once. */
export async function loadWasm(base: string): Promise<void> {
  if (api) return;
  await loadScript(base + "wasm_exec.js");
  const go = new Go();
  const ready = new Promise<void>((resolve) => {
    (globalThis as any).medchainWasmReady = resolve;
  });
  const result = await WebAssembly.instantiateStreaming(fetch(base + "medchain.wasm"), go.importObject);
  go.run(result.instance);
  await ready;
  api = (globalThis as any).medchainWasm as Api;
  memory = result.instance.exports.mem as WebAssembly.Memory;
}

let memory: WebAssembly.Memory | undefined;

/** The WebAssembly client's linear memory, in bytes (it only grows). */
export function memoryBytes(): number {
  return memory?.buffer.byteLength ?? 0;
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.appendChild(s);
  });
}

function w(): Api {
  if (!api) throw new Error("the WebAssembly client is not loaded");
  return api;
}

/** Throws what a synchronous WebAssembly call returned as an Error. */
function check<T>(v: T | Error): T {
  if (v instanceof Error) throw v;
  return v;
}

/** The text the wallet signs to derive the encryption key on chainId. */
export const derivationText = (chainId: string) => check(w().derivationText(chainId));
export const deriveKey = (address: string, chainId: string, sign: DocSigner) => w().deriveKey(address, chainId, sign);
/** Derives the legacy (chain-unbound) key beside the current one, to open what is sealed to it. */
export const deriveLegacyKey = (address: string, sign: DocSigner) => w().deriveLegacyKey(address, sign);
export const newRecordKey = () => check(w().newRecordKey());
export const wrap = (pub: Uint8Array, rk: Uint8Array, b: Binding) => check(w().wrap(pub, rk, b));
export const unwrap = (addr: string, wr: { keyId: string; keyEpoch: bigint; ciphertext: Uint8Array }, b: Binding) =>
  check(w().unwrap(addr, { keyId: wr.keyId, keyEpoch: wr.keyEpoch.toString(), ciphertext: wr.ciphertext }, b));
export const sealLabel = (rk: Uint8Array, owner: string, label: string) => check(w().sealLabel(rk, owner, label));
export const openLabel = (rk: Uint8Array, owner: string, sealed: Uint8Array) => check(w().openLabel(rk, owner, sealed));
export const sealReason = (pub: Uint8Array, reason: string, b: ReasonBinding) => check(w().sealReason(pub, reason, b));
export const openReason = (owner: string, sealed: Uint8Array, b: ReasonBinding) => check(w().openReason(owner, sealed, b));
export const encryptedSize = (n: number) => check(w().encryptedSize(n));
export const kindOf = (head: Uint8Array) => check(w().kind(head));
export const sniffBytes = () => w().sniffBytes;
export const ticket = (f: TicketFields, sign: DocSigner) => w().ticket(f, sign);
export const encrypt = (o: Parameters<Api["encrypt"]>[0]) => w().encrypt(o);
export const decrypt = (o: Parameters<Api["decrypt"]>[0]) => w().decrypt(o);
export const reencrypt = (o: Parameters<Api["reencrypt"]>[0]) => w().reencrypt(o);
export const consentBundle = (grantsJSON: string, now: string) => check(w().consentBundle(grantsJSON, now));
export const enrolmentCode = (f: EnrolmentFields, sign: DocSigner) => w().enrolmentCode(f, sign);
