// The portal's client workflows, without any DOM: what `medchaind` does
// for upload, download, grant, revoke with rotation, request, deny and the
// consent export, with the same rules (the chain checks them all again).

import { EncodeObject } from "@cosmjs/proto-signing";

import { Account, Chain, PortalConfig } from "./chain";
import { PageRequest } from "./gen/cosmos/base/query/v1beta1/pagination";
import { Timestamp } from "./gen/google/protobuf/timestamp";
import {
  AccessRequest,
  EmergencyAccess,
  EmergencyPolicy,
  EncryptionKey,
  Grant,
  Permission,
  permissionToJSON,
  Purpose,
  purposeToJSON,
} from "./gen/medchain/access/v1/types";
import { Issuer, IssuerKind, IssuerStatus } from "./gen/medchain/issuers/v1/types";
import { MsgCreateRecordResponse } from "./gen/medchain/records/v1/tx";
import { KeyWrap, Record, RecordKind, recordKindToJSON, RecordStatus, UploadReceipt } from "./gen/medchain/records/v1/types";
import { decryptStream, encryptFile, newSink, Sink, Stored, Vault } from "./vault";
import * as wasm from "./wasm";

export interface Session {
  account: Account;
  keyId: string;
  publicKey: Uint8Array;
  /** The id of the account's legacy (chain-unbound) key, if derived this session. */
  legacyKeyId?: string;
}

/** Everything a workflow needs: the chain, the vault and who is signed in. */
export interface Ctx {
  config: PortalConfig;
  chain: Chain;
  vault: Vault;
  session: Session;
}

export const PERMISSION_READ = Permission.PERMISSION_READ;

export function kindName(k: RecordKind): string {
  return recordKindToJSON(k).replace("RECORD_KIND_", "").toLowerCase();
}

export function kindFromName(name: string): RecordKind {
  const k = (RecordKind as unknown as { [n: string]: number })["RECORD_KIND_" + name.toUpperCase()];
  if (k === undefined || k === 0) throw new Error(`unknown record kind ${name}`);
  return k as RecordKind;
}

export function purposeName(p: Purpose): string {
  return purposeToJSON(p).replace("PURPOSE_", "").toLowerCase();
}

export function purposeFromName(name: string): Purpose {
  const p = (Purpose as unknown as { [n: string]: number })["PURPOSE_" + name.toUpperCase().replace(/[- ]/g, "_")];
  if (p === undefined || p === 0) throw new Error(`unknown purpose ${name}`);
  return p as Purpose;
}

export function permissionName(p: Permission): string {
  return permissionToJSON(p).replace("PERMISSION_", "").toLowerCase();
}

function page(key?: Uint8Array): PageRequest {
  return { key: key ?? new Uint8Array(), offset: 0n, limit: 100n, countTotal: false, reverse: false };
}

/** Reads every page of a paginated query. */
async function all<T>(fetch: (p: PageRequest) => Promise<{ items: T[]; next?: Uint8Array }>): Promise<T[]> {
  const out: T[] = [];
  let key: Uint8Array | undefined;
  do {
    const r = await fetch(page(key));
    out.push(...r.items);
    key = r.next && r.next.length ? r.next : undefined;
  } while (key);
  return out;
}

export function recordsOf(c: Ctx, owner: string, status = RecordStatus.RECORD_STATUS_UNSPECIFIED): Promise<Record[]> {
  return all(async (p) => {
    const r = await c.chain.records.RecordsByOwner({ owner, kind: RecordKind.RECORD_KIND_UNSPECIFIED, status, pagination: p });
    return { items: r.records, next: r.pagination?.nextKey };
  });
}

export function grantsByOwner(c: Ctx, owner: string): Promise<Grant[]> {
  return all(async (p) => {
    const r = await c.chain.access.GrantsByOwner({ owner, pagination: p });
    return { items: r.grants, next: r.pagination?.nextKey };
  });
}

export function grantsByGrantee(c: Ctx, grantee: string): Promise<Grant[]> {
  return all(async (p) => {
    const r = await c.chain.access.GrantsByGrantee({ grantee, pagination: p });
    return { items: r.grants, next: r.pagination?.nextKey };
  });
}

export function requestsToMe(c: Ctx): Promise<AccessRequest[]> {
  return all(async (p) => {
    const r = await c.chain.access.RequestsByOwner({ owner: c.session.account.address, pagination: p });
    return { items: r.requests, next: r.pagination?.nextKey };
  });
}

export function isLive(expiresAt: Timestamp | undefined, now: Date): boolean {
  return !expiresAt || Number(expiresAt.seconds) * 1000 + Math.floor(expiresAt.nanos / 1e6) > now.getTime();
}

export function covers(kinds: RecordKind[], kind: RecordKind): boolean {
  return kinds.length === 0 || kinds.includes(kind);
}

/** The current encryption key of addr, or an error that says what to do. */
export async function encryptionKeyOf(c: Ctx, addr: string): Promise<EncryptionKey> {
  let k: EncryptionKey | undefined;
  try {
    k = (await c.chain.access.EncryptionKey({ address: addr, keyId: "" })).key;
  } catch {
    k = undefined;
  }
  if (!k) {
    throw new Error(
      addr === c.session.account.address
        ? "register your encryption key first"
        : `${addr} has no encryption key on chain (it must register one first)`,
    );
  }
  return k;
}

/** The patient's emergency policy, if any. */
async function emergencyPolicy(c: Ctx, owner: string): Promise<EmergencyPolicy | undefined> {
  try {
    return (await c.chain.access.EmergencyPolicy({ patient: owner })).policy;
  } catch (e) {
    if (/no emergency policy/.test(String(e))) return undefined;
    throw e;
  }
}

/**
 * The signed-in patient's emergency policy and every emergency access
 * (break-glass) to their records, newest first: public on chain.
 */
export async function emergencyOf(c: Ctx): Promise<{ policy?: EmergencyPolicy; log: EmergencyAccess[] }> {
  const patient = c.session.account.address;
  const policy = await emergencyPolicy(c, patient);
  const log = await all(async (p) => {
    const res = await c.chain.access.EmergencyLog({ patient, pagination: p });
    return { items: res.accesses, next: res.pagination?.nextKey };
  });
  return { policy, log };
}

/**
 * The owner's emergency reader when the owner has an emergency policy that
 * is not spent: x/access requires a wrap for it on every record key, as for
 * the owner, and refuses one once a break-glass has spent the policy's key.
 */
async function emergencyReaders(c: Ctx, owner: string): Promise<string[]> {
  const policy = await emergencyPolicy(c, owner);
  return policy && policy.spentBy === 0n ? [policy.emergencyReader] : [];
}

async function keysOf(c: Ctx, addrs: string[]): Promise<EncryptionKey[]> {
  const out: EncryptionKey[] = [];
  for (const a of [...new Set(addrs)]) out.push(await encryptionKeyOf(c, a));
  return out;
}

/** The record key the signed-in account's wrap opens, and its epoch. */
export async function openRecordKey(c: Ctx, recordId: bigint): Promise<{ key: Uint8Array; keyEpoch: bigint; anchor: string }> {
  const me = c.session.account.address;
  const res = await c.chain.access.CheckAccess({ recordId, grantee: me, permission: PERMISSION_READ });
  if (!res.allowed) throw new Error(`record ${recordId}: no access (${res.reason})`);
  if (!res.wrap) throw new Error(`record ${recordId}: no wrap of key epoch ${res.keyEpoch} for you`);
  const key = wasm.unwrap(me, res.wrap, {
    chainId: c.config.chain_id,
    anchor: res.epochCid,
    recordId,
    keyEpoch: res.keyEpoch,
    grantee: res.viaOrganisation || me,
  });
  return { key, keyEpoch: res.keyEpoch, anchor: res.epochCid };
}

function sealAll(c: Ctx, keys: EncryptionKey[], recordKey: Uint8Array, anchor: string, recordId: bigint, keyEpoch: bigint): KeyWrap[] {
  return keys.map((k) => ({
    grantee: k.owner,
    keyId: k.keyId,
    ciphertext: wasm.wrap(k.publicKey, recordKey, { chainId: c.config.chain_id, anchor, recordId, keyEpoch, grantee: k.owner }),
    recordId,
    keyEpoch,
  }));
}

async function ticket(c: Ctx, f: Omit<wasm.TicketFields, "reader" | "chainId" | "vault">, vault = c.vault): Promise<string> {
  return wasm.ticket(
    { ...f, reader: c.session.account.address, chainId: c.config.chain_id, vault: await vault.vaultId() },
    c.session.account.signDoc,
  );
}

/**
 * Opens the CAR of a record's current version: from this hospital's vault,
 * or, if it does not hold it (a record placed on other hospitals, whose
 * upload this vault handed on), from each vault the chain places it on,
 * as the CLI fails over. Every answer is verified block by block anyway.
 */
async function openCAR(c: Ctx, r: Record): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const errors: string[] = [];
  const read = async (v: Vault) => v.fetchCAR(r.cid, await ticket(c, { purpose: "read", recordId: r.id, version: r.version, cid: r.cid }, v));
  try {
    return await read(c.vault);
  } catch (e) {
    errors.push(`${c.vault.base}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const placed = await c.chain.records.Placement({ cid: r.cid });
  for (const replica of placed.replicas) {
    const base = replica.vaultUrl.replace(/\/*$/, "/");
    if (!replica.vaultUrl || base === c.vault.base) continue;
    try {
      return await read(new Vault(base));
    } catch (e) {
      errors.push(`${base}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(`no vault served record ${r.id}: ${errors.join("; ")}`);
}

let lastDownload: Sink | undefined;

/**
 * Downloads, verifies and decrypts the current version of a record. The
 * plaintext stays (in a temporary file where the browser allows) until the
 * next download, for the person to save.
 */
export async function download(c: Ctx, r: Record, progress: (n: number) => void): Promise<Blob> {
  const { key } = await openRecordKey(c, r.id);
  const stream = await openCAR(c, r);
  await lastDownload?.discard();
  const sink = await newSink();
  lastDownload = sink;
  try {
    return await decryptStream(stream, r.cid, Number(r.sizeBytes), key, progress, sink);
  } catch (e) {
    await sink.discard();
    throw e;
  }
}

export interface UploadProgress {
  encrypting(done: number, total: number): void;
  sending(done: number, total: number): void;
  status(text: string): void;
}

/**
 * Encrypts file, uploads it and registers it as a record of owner: the
 * owner's key and every live READ scope grantee's get a wrap. The chain is
 * asked (simulation) before any data moves.
 */
export async function upload(
  c: Ctx,
  file: File,
  opts: { owner: string; label: string; kind: string },
  p: UploadProgress,
): Promise<{ id: bigint; cid: string; encryptedSize: number; height: number; kind: RecordKind }> {
  const me = c.session.account.address;
  if (file.size === 0) throw new Error(`${file.name} is empty: there is nothing to store`);
  const owner = opts.owner || me;
  const kind =
    opts.kind === "auto" ? kindFromName(wasm.kindOf(new Uint8Array(await file.slice(0, wasm.sniffBytes()).arrayBuffer()))) : kindFromName(opts.kind);
  const status = await c.vault.status();
  const estimate = wasm.encryptedSize(file.size);
  if (status.max_upload_bytes && estimate > status.max_upload_bytes) {
    throw new Error(`the file is ${file.size} bytes, about ${estimate} encrypted; this vault accepts at most ${status.max_upload_bytes} per upload`);
  }
  const now = await c.chain.time();
  const grantees = [owner];
  for (const g of await grantsByOwner(c, owner)) {
    if (g.recordId === 0n && g.permission === PERMISSION_READ && isLive(g.expiresAt, now) && covers(g.kinds, kind)) grantees.push(g.grantee);
  }
  grantees.push(...(await emergencyReaders(c, owner)));
  const readers = await keysOf(c, grantees);
  const recordKey = wasm.newRecordKey();
  const sealedLabel = wasm.sealLabel(recordKey, owner, opts.label);

  p.status(`encrypting ${file.name}…`);
  const enc = await encryptFile(file, recordKey, p.encrypting);
  try {
    return await register(c, enc, msgFor(enc), p, kind);
  } finally {
    await enc.sink.discard();
  }
  function msgFor(e: { cid: string; encryptedSize: number }): EncodeObject {
    return {
      typeUrl: "/medchain.records.v1.MsgCreateRecord",
      value: {
        creator: me,
        owner,
        cid: e.cid,
        kind,
        sizeBytes: BigInt(e.encryptedSize),
        sealedLabel,
        derivedFrom: 0n,
        // Bound to the CID, record id 0: the chain fills in the id.
        wraps: sealAll(c, readers, recordKey, e.cid, 0n, 0n),
      },
    };
  }
}

/**
 * The receipt a message claiming s.cid must carry: the chain registers a
 * payload only with the receipt of the hospital vault that received it
 * from the signer, so nobody who merely saw the CID can claim it first.
 */
function requireReceipt(s: Stored): UploadReceipt {
  if (!s.receipt) {
    throw new Error(
      `the vault stored ${s.cid} but signed no upload receipt, without which the chain registers nothing; ` +
        "its hospital must set [vault] hospital and hospital-key",
    );
  }
  return s.receipt;
}

/** Uploads an encrypted CAR and registers its record (simulated first). */
async function register(
  c: Ctx,
  enc: { car: Blob; cid: string; encryptedSize: number },
  msg: EncodeObject,
  p: UploadProgress,
  kind: RecordKind,
): Promise<{ id: bigint; cid: string; encryptedSize: number; height: number; kind: RecordKind }> {
  await c.chain.preflight(c.session.account, [msg], "the chain would refuse this record, nothing was uploaded");
  p.status(`uploading ${enc.car.size} bytes of ciphertext to the vault…`);
  const t = await ticket(c, { purpose: "upload", size: enc.car.size });
  const stored = await c.vault.upload(enc.car, t, p.sending);
  if (stored.cid !== enc.cid) throw new Error(`the vault stored ${stored.cid}, not ${enc.cid}`);
  (msg.value as { receipt?: UploadReceipt }).receipt = requireReceipt(stored);
  p.status("registering the record on chain…");
  const res = await c.chain.send(c.session.account, [msg], "", (e) =>
    `the payload is in the vault as ${enc.cid} but the record was not registered (the vault collects it later): ${e}`,
  );
  const created = res.msgResponses.find((m) => m.typeUrl === "/medchain.records.v1.MsgCreateRecordResponse");
  const id = created ? MsgCreateRecordResponse.decode(created.value).id : 0n;
  return { id, cid: enc.cid, encryptedSize: enc.encryptedSize, height: res.height, kind };
}

export interface GrantForm {
  grantee: string;
  recordId: bigint; // 0: a scope grant over all records (of kinds)
  kinds: RecordKind[];
  permission: Permission;
  purpose: Purpose;
  expiresInSeconds: number; // 0: until revoked
  requestId: bigint;
}

/** Grants access; a READ grant carries the record keys sealed to the grantee. */
export async function grant(c: Ctx, f: GrantForm): Promise<bigint> {
  const me = c.session.account.address;
  const msg = {
    owner: me,
    grantee: f.grantee,
    recordId: f.recordId,
    kinds: f.kinds,
    permission: f.permission,
    purpose: f.purpose,
    expiresAt: undefined as Timestamp | undefined,
    requestId: f.requestId,
    wraps: [] as KeyWrap[],
  };
  if (f.expiresInSeconds > 0) {
    const end = (await c.chain.time()).getTime() + f.expiresInSeconds * 1000;
    msg.expiresAt = { seconds: BigInt(Math.floor(end / 1000)), nanos: 0 };
  }
  if (f.permission === PERMISSION_READ) {
    const key = await encryptionKeyOf(c, f.grantee);
    const ids =
      f.recordId !== 0n
        ? [f.recordId]
        : (await recordsOf(c, me, RecordStatus.RECORD_STATUS_ACTIVE)).filter((r) => covers(f.kinds, r.kind)).map((r) => r.id);
    for (const id of ids) {
      const rk = await openRecordKey(c, id);
      msg.wraps.push(...sealAll(c, [key], rk.key, rk.anchor, id, rk.keyEpoch));
    }
  }
  const res = await c.chain.send(c.session.account, [{ typeUrl: "/medchain.access.v1.MsgGrantAccess", value: msg }]);
  const created = res.msgResponses.find((m) => m.typeUrl === "/medchain.access.v1.MsgGrantAccessResponse");
  return created ? decodeId(created.value) : 0n;
}

/** Reads field 1 (a uint64 id) of a Msg*Response. */
function decodeId(b: Uint8Array): bigint {
  if (b.length === 0 || b[0] !== 0x08) return 0n;
  let v = 0n;
  let shift = 0n;
  for (let i = 1; i < b.length; i++) {
    v |= BigInt(b[i] & 0x7f) << shift;
    if ((b[i] & 0x80) === 0) break;
    shift += 7n;
  }
  return v;
}

/**
 * Revokes a grant. A READ grant's records are rotated in the same
 * transaction: each payload is downloaded, re-encrypted under a fresh key
 * in this page, uploaded, and the new key wrapped for the owner and every
 * remaining reader, so the revoked grantee's old wrap opens nothing.
 */
export async function revoke(c: Ctx, g: Grant, progress: (text: string, done: number, total: number) => void): Promise<string[]> {
  const me = c.session.account.address;
  const msg = { owner: me, grantId: g.id, rotations: [] as unknown[] };
  if (g.owner !== me) throw new Error(`grant ${g.id} was given by ${g.owner}: only its owner may revoke it`);
  if (g.permission !== PERMISSION_READ) {
    await c.chain.send(c.session.account, [{ typeUrl: "/medchain.access.v1.MsgRevokeAccess", value: msg }]);
    return [];
  }
  const records =
    g.recordId !== 0n
      ? [(await c.chain.records.Record({ id: g.recordId })).record!]
      : (await recordsOf(c, me, RecordStatus.RECORD_STATUS_ACTIVE)).filter((r) => covers(g.kinds, r.kind));
  const now = await c.chain.time();
  const uploads: { car: Blob; cid: string; rotation: number }[] = [];
  const sinks: Sink[] = [];
  try {
    return await rotate();
  } finally {
    for (const s of sinks) await s.discard();
  }
  async function rotate(): Promise<string[]> {
  let i = 0;
  for (const r of records) {
    progress(`re-encrypting record ${r.id}`, i, records.length);
    const old = await openRecordKey(c, r.id);
    const newKey = wasm.newRecordKey();
    const grantees = [r.owner];
    // Every page of the record's grants; the owner's scope grants come
    // with each page, the same every time.
    let scopeGrants: Grant[] = [];
    const recordGrants = await all(async (p) => {
      const res = await c.chain.access.GrantsByRecord({ recordId: r.id, pagination: p });
      scopeGrants = res.scopeGrants;
      return { items: res.grants, next: res.pagination?.nextKey };
    });
    for (const x of [...recordGrants, ...scopeGrants]) {
      if (x.id !== g.id && x.permission === PERMISSION_READ && isLive(x.expiresAt, now)) grantees.push(x.grantee);
    }
    grantees.push(...(await emergencyReaders(c, r.owner)));
    const readers = await keysOf(c, grantees);
    const label = r.sealedLabel.length ? wasm.openLabel(old.key, r.owner, r.sealedLabel) : "";
    const stream = await openCAR(c, r);
    const sink = await newSink();
    sinks.push(sink);
    const enc = await wasm.reencrypt({
      cid: r.cid,
      encryptedSize: Number(r.sizeBytes),
      oldKey: old.key,
      newKey,
      read: async () => {
        const x = await stream.read();
        return x.done ? null : x.value;
      },
      write: (chunk) => sink.add(chunk),
    });
    uploads.push({ car: await sink.finish(), cid: enc.cid, rotation: msg.rotations.length });
    msg.rotations.push({
      recordId: r.id,
      cid: enc.cid,
      sizeBytes: BigInt(enc.encryptedSize),
      wraps: sealAll(c, readers, newKey, enc.cid, r.id, old.keyEpoch + 1n),
      sealedLabel: label ? wasm.sealLabel(newKey, r.owner, label) : new Uint8Array(),
    });
    i++;
  }
  const encoded: EncodeObject[] = [{ typeUrl: "/medchain.access.v1.MsgRevokeAccess", value: msg }];
  await c.chain.preflight(c.session.account, encoded, `grant ${g.id} was not revoked, nothing was uploaded`);
  i = 0;
  for (const u of uploads) {
    progress(`uploading the re-encrypted payload ${u.cid}`, i++, uploads.length);
    const t = await ticket(c, { purpose: "upload", size: u.car.size });
    const stored = await c.vault.upload(u.car, t, () => undefined);
    if (stored.cid !== u.cid) throw new Error(`the vault stored ${stored.cid}, not ${u.cid}`);
    (msg.rotations[u.rotation] as { receipt?: UploadReceipt }).receipt = requireReceipt(stored);
  }
  progress("revoking on chain", uploads.length, uploads.length);
  await c.chain.send(c.session.account, encoded, "", (e) => `grant ${g.id} was not revoked: ${e}`);
  return uploads.map((u) => u.cid);
  }
}

/** Asks a patient for access; the reason is sealed to the patient's key. */
export async function requestAccess(
  c: Ctx,
  f: { owner: string; recordId: bigint; kinds: RecordKind[]; permission: Permission; purpose: Purpose; reason: string },
): Promise<bigint> {
  const me = c.session.account.address;
  let sealedReason: Uint8Array = new Uint8Array();
  if (f.reason) {
    const key = await encryptionKeyOf(c, f.owner);
    sealedReason = wasm.sealReason(key.publicKey, f.reason, { chainId: c.config.chain_id, requester: me, owner: f.owner });
  }
  const res = await c.chain.send(c.session.account, [
    {
      typeUrl: "/medchain.access.v1.MsgRequestAccess",
      value: {
        requester: me,
        owner: f.owner,
        recordId: f.recordId,
        kinds: f.kinds,
        permission: f.permission,
        purpose: f.purpose,
        sealedReason,
        expiresAt: undefined,
      },
    },
  ]);
  const created = res.msgResponses.find((m) => m.typeUrl === "/medchain.access.v1.MsgRequestAccessResponse");
  return created ? decodeId(created.value) : 0n;
}

export function openReason(c: Ctx, r: AccessRequest): string {
  if (r.sealedReason.length === 0) return "";
  try {
    return wasm.openReason(r.owner, r.sealedReason, { chainId: c.config.chain_id, requester: r.requester, owner: r.owner });
  } catch {
    return "(sealed)";
  }
}

export async function deny(c: Ctx, requestId: bigint): Promise<void> {
  await c.chain.send(c.session.account, [
    { typeUrl: "/medchain.access.v1.MsgDenyRequest", value: { owner: c.session.account.address, requestId } },
  ]);
}

/**
 * What the portal tells a patient before they allow a record into the
 * hospitals' Filecoin archive (docs/archive.md says the same).
 */
export const ARCHIVE_CONSENT_TEXT =
  "Allow the hospitals to keep an encrypted copy of this record in their Filecoin cold archive? " +
  "Only ciphertext is archived. A Filecoin storage deal cannot be ended early, so the archived copy stays " +
  "with the storage provider until the deal expires, even if you later withdraw this choice or erase the record. " +
  "Erasing the record deletes every key to it from the chain, so the archived copy can never be decrypted again " +
  "(crypto-shredding), but the ciphertext itself is not deleted.";

/** Allows or withdraws archiving of one of the patient's records. */
export async function setArchiveConsent(c: Ctx, recordId: bigint, allow: boolean): Promise<void> {
  await c.chain.send(c.session.account, [
    { typeUrl: "/medchain.records.v1.MsgSetArchiveConsent", value: { owner: c.session.account.address, recordId, allow } },
  ]);
}

/** The records a clinician may read: record grants and scope grants to them. */
export async function sharedWithMe(c: Ctx): Promise<{ record: Record; grant: Grant }[]> {
  const now = await c.chain.time();
  const out: { record: Record; grant: Grant }[] = [];
  const seen = new Set<string>();
  for (const g of await grantsByGrantee(c, c.session.account.address)) {
    if (g.permission !== PERMISSION_READ || !isLive(g.expiresAt, now)) continue;
    const records =
      g.recordId !== 0n
        ? [(await c.chain.records.Record({ id: g.recordId })).record!]
        : (await recordsOf(c, g.owner, RecordStatus.RECORD_STATUS_ACTIVE)).filter((r) => covers(g.kinds, r.kind));
    for (const r of records) {
      if (seen.has(r.id.toString()) || r.status !== RecordStatus.RECORD_STATUS_ACTIVE) continue;
      seen.add(r.id.toString());
      out.push({ record: r, grant: g });
    }
  }
  return out;
}

function rfc3339(t: Timestamp | undefined): string | null {
  if (!t) return null;
  return new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)).toISOString();
}

/** The FHIR R4 Consent Bundle of every grant the patient gave, as the CLI prints it. */
export async function consentExport(c: Ctx): Promise<string> {
  const grants = await grantsByOwner(c, c.session.account.address);
  const wire = grants.map((g) => ({
    id: g.id.toString(),
    owner: g.owner,
    grantee: g.grantee,
    record_id: g.recordId.toString(),
    kinds: g.kinds.map((k) => recordKindToJSON(k).replace("RECORD_KIND_", "")),
    permission: permissionToJSON(g.permission).replace("PERMISSION_", ""),
    purpose: purposeToJSON(g.purpose).replace("PURPOSE_", ""),
    created_at: rfc3339(g.createdAt),
    expires_at: rfc3339(g.expiresAt),
  }));
  return wasm.consentBundle(JSON.stringify(wire), (await c.chain.time()).toISOString());
}

export interface LogEntry {
  [k: string]: unknown;
}

/** The vault's access log of a record: every read decision, for its owner. */
export async function accessLog(c: Ctx, recordId: bigint): Promise<LogEntry[]> {
  const t = await ticket(c, { purpose: "log", recordId });
  const res = await fetch(`${c.vault.base}api/v1/access-log?record=${recordId}`, {
    headers: { "X-Medchain-Ticket": t },
    cache: "no-store",
  });
  if (!res.ok) throw new Error(`the vault refused the access log (${res.status}): ${(await res.text()).trim()}`);
  const body = (await res.json()) as LogEntry[] | { entries?: LogEntry[] };
  return Array.isArray(body) ? body : (body.entries ?? []);
}

/** The active hospitals of the chain (the issuers module's register), by name. */
export async function hospitals(c: Ctx): Promise<Issuer[]> {
  const list = await all(async (p) => {
    const r = await c.chain.issuers.Issuers({ kind: IssuerKind.ISSUER_KIND_HOSPITAL, status: IssuerStatus.ISSUER_STATUS_ACTIVE, pagination: p });
    return { items: r.issuers, next: r.pagination?.nextKey };
  });
  return list.sort((a, b) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address));
}

/**
 * Makes the one-time code by which the signed-in patient enrols at
 * hospital's DICOMweb bridge (`medchaind bridge enrol-code`): the
 * WebAssembly client builds it with the CLI's package and the wallet
 * signs it. Nothing is sent anywhere: the chain never sees the code.
 */
export function enrolmentCode(c: Ctx, hospital: string, validSeconds: number): Promise<{ code: string; expires: string }> {
  return wasm.enrolmentCode(
    { chainId: c.config.chain_id, hospital, patient: c.session.account.address, validSeconds },
    c.session.account.signDoc,
  );
}

/** The live WRITE grant of the signed-in patient that lets hospital store DICOM, if any. */
export async function dicomWriteGrant(c: Ctx, hospital: string): Promise<Grant | undefined> {
  const now = await c.chain.time();
  return (await grantsByOwner(c, c.session.account.address)).find(
    (g) =>
      g.grantee === hospital &&
      g.recordId === 0n &&
      g.permission === Permission.PERMISSION_WRITE &&
      covers(g.kinds, RecordKind.RECORD_KIND_DICOM) &&
      isLive(g.expiresAt, now),
  );
}

/** Grants hospital WRITE for DICOM (purpose treatment): its PACS may then store studies for the patient. */
export function grantDicomWrite(c: Ctx, hospital: string): Promise<bigint> {
  return grant(c, {
    grantee: hospital,
    recordId: 0n,
    kinds: [RecordKind.RECORD_KIND_DICOM],
    permission: Permission.PERMISSION_WRITE,
    purpose: Purpose.PURPOSE_TREATMENT,
    expiresInSeconds: 0,
    requestId: 0n,
  });
}
