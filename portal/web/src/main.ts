// The medchain portal: a patient's and a clinician's view of their
// records, in the browser, with keys that never leave it. See
// docs/portal.md.

import { toHex } from "@cosmjs/encoding";

import { Account, accountFromMnemonic, Chain, explain, PortalConfig } from "./chain";
import { KeyAlgorithm } from "./gen/medchain/access/v1/types";
import { MsgCreateRecordResponse } from "./gen/medchain/records/v1/tx";
import { KeyWrap, Record, RecordKind, recordKindToJSON, RecordStatus, recordStatusToJSON } from "./gen/medchain/records/v1/types";
import { decryptStream, encryptFile, Vault } from "./vault";
import * as wasm from "./wasm";

interface Session {
  account: Account;
  keyId: string;
  publicKey: Uint8Array;
}

const state: { config?: PortalConfig; chain?: Chain; vault?: Vault; session?: Session } = {};

// ---- small DOM helpers ----

type Child = Node | string | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record2 = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}
type Record2 = { [k: string]: string | number | boolean | undefined | ((e: Event) => void) };

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`no element #${id}`);
  return el;
}

/** Shows a message; errors are never a blank screen. */
function say(text: string, kind: "info" | "error" | "ok" = "info"): void {
  const m = $("message");
  m.textContent = text;
  m.className = "message " + kind;
  m.hidden = false;
}

function fail(e: unknown): void {
  say(explain(e), "error");
  console.error(e);
}

function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
}

function kindName(k: RecordKind): string {
  return recordKindToJSON(k).replace("RECORD_KIND_", "").toLowerCase();
}

async function sha256Hex(b: Blob): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", await b.arrayBuffer())));
}

// ---- start ----

async function start(): Promise<void> {
  const app = $("app");
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (!res.ok) throw new Error(`the portal's configuration did not load (${res.status})`);
    state.config = (await res.json()) as PortalConfig;
    if (!state.config.wasm) {
      throw new Error("this node was built without the portal's WebAssembly client: build it with `make build`");
    }
    await wasm.loadWasm("./");
    state.chain = await Chain.connect(state.config);
    state.vault = new Vault(new URL(state.config.vault, location.href).toString());
    $("chain-id").textContent = state.config.chain_id || "(the node is starting)";
  } catch (e) {
    fail(e);
    return;
  }
  app.replaceChildren(signInView());
}

function signInView(): HTMLElement {
  const mnemonic = h("textarea", {
    id: "mnemonic",
    rows: 3,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "24 words: held only in this page, never sent anywhere",
  });
  const button = h("button", { id: "sign-in", type: "button" }, "Sign in");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await signIn(mnemonic.value);
    } catch (e) {
      fail(e);
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Sign in"),
    h("p", {}, "Sign in with your account's mnemonic. It stays in this page: the node never sees it, or any key derived from it."),
    mnemonic,
    button,
  );
}

async function signIn(mnemonic: string): Promise<void> {
  const config = state.config!;
  say("deriving your encryption key…");
  const account = await accountFromMnemonic(mnemonic, config.bech32_prefix);
  const key = await wasm.deriveKey(account.address, account.signDoc);
  state.session = { account, keyId: key.keyId, publicKey: key.publicKey };
  $("who").textContent = account.address;
  $("message").hidden = true;
  await showHome();
}

// ---- home ----

async function showHome(): Promise<void> {
  const s = state.session!;
  const app = $("app");
  app.replaceChildren(
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Your encryption key"),
      h("p", {}, "Key id ", h("code", { id: "key-id" }, s.keyId), " ", h("span", { id: "key-status" }, "…")),
      h("div", { id: "key-actions" }),
    ),
    uploadView(),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "My records ", refreshButton()),
      h("div", { id: "records" }, "loading…"),
      h("div", { id: "download" }),
    ),
  );
  await refreshKey();
  await refreshRecords();
}

async function refreshKey(): Promise<void> {
  const s = state.session!;
  const chain = state.chain!;
  const status = $("key-status");
  const actions = $("key-actions");
  actions.replaceChildren();
  let registered = "";
  try {
    registered = (await chain.access.EncryptionKey({ address: s.account.address, keyId: "" })).key?.keyId ?? "";
  } catch {
    registered = ""; // not found
  }
  if (registered === s.keyId) {
    status.textContent = "registered on chain";
    status.className = "ok";
    return;
  }
  status.textContent = registered ? `differs from the one on chain (${registered})` : "not registered yet";
  status.className = "warn";
  const button = h("button", { id: "register-key", type: "button" }, "Register my encryption key");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      say("registering your encryption key…");
      await chain.send(s.account, [
        {
          typeUrl: "/medchain.access.v1.MsgRegisterEncryptionKey",
          value: { owner: s.account.address, algorithm: KeyAlgorithm.KEY_ALGORITHM_MLKEM768_X25519, publicKey: s.publicKey },
        },
      ]);
      say("your encryption key is registered", "ok");
      await refreshKey();
    } catch (e) {
      fail(e);
      button.disabled = false;
    }
  });
  actions.append(button);
}

function refreshButton(): HTMLElement {
  const b = h("button", { id: "refresh", type: "button", class: "small" }, "Refresh");
  b.addEventListener("click", () => void refreshRecords());
  return b;
}

async function refreshRecords(): Promise<void> {
  const s = state.session!;
  const chain = state.chain!;
  const box = $("records");
  try {
    const records: Record[] = [];
    let key: Uint8Array | undefined;
    do {
      const res = await chain.records.RecordsByOwner({
        owner: s.account.address,
        kind: RecordKind.RECORD_KIND_UNSPECIFIED,
        status: RecordStatus.RECORD_STATUS_UNSPECIFIED,
        pagination: { key: key ?? new Uint8Array(), offset: 0n, limit: 100n, countTotal: false, reverse: false },
      });
      records.push(...res.records);
      key = res.pagination?.nextKey?.length ? res.pagination.nextKey : undefined;
    } while (key);
    if (records.length === 0) {
      box.replaceChildren(h("p", { id: "no-records" }, "No records yet."));
      return;
    }
    const rows = records.map((r) => recordRow(r));
    box.replaceChildren(
      h(
        "table",
        { id: "records-table" },
        h(
          "thead",
          {},
          h("tr", {}, ...["id", "label", "kind", "size", "version", "status", "created", "organisation", ""].map((t) => h("th", {}, t))),
        ),
        h("tbody", {}, ...rows),
      ),
    );
  } catch (e) {
    box.textContent = "";
    fail(e);
  }
}

function recordRow(r: Record): HTMLElement {
  const created = r.createdAt ? new Date(Number(r.createdAt.seconds) * 1000).toISOString().replace("T", " ").slice(0, 16) : "";
  const label = h("td", { class: "label" }, r.sealedLabel.length ? "(sealed)" : "");
  const button = h("button", { type: "button", class: "download", "data-record": r.id.toString() }, "Download");
  button.addEventListener("click", () => void download(r, button));
  const row = h(
    "tr",
    { id: `record-${r.id}` },
    h("td", {}, r.id.toString()),
    label,
    h("td", { class: "kind" }, kindName(r.kind)),
    h("td", {}, humanBytes(Number(r.sizeBytes))),
    h("td", {}, r.version.toString()),
    h("td", {}, recordStatusToJSON(r.status).replace("RECORD_STATUS_", "").toLowerCase()),
    h("td", {}, created),
    h("td", {}, r.organisation || "—"),
    h("td", {}, r.status === RecordStatus.RECORD_STATUS_ACTIVE ? button : ""),
  );
  if (r.sealedLabel.length) {
    // Open the label with the record key, for the owner and readers only.
    void openRecordKey(r)
      .then((rk) => (label.textContent = wasm.openLabel(rk, r.owner, r.sealedLabel)))
      .catch(() => undefined);
  }
  return row;
}

/** Fetches the reader's wrap (CheckAccess) and opens it. */
async function openRecordKey(r: Record): Promise<Uint8Array> {
  const s = state.session!;
  const res = await state.chain!.access.CheckAccess({ recordId: r.id, grantee: s.account.address, permission: 1 });
  if (!res.allowed) throw new Error(`record ${r.id}: you may not read it (${res.reason})`);
  if (!res.wrap) throw new Error(`record ${r.id}: no wrap of key epoch ${res.keyEpoch} for you`);
  return wasm.unwrap(s.account.address, res.wrap, {
    chainId: state.config!.chain_id,
    anchor: res.epochCid,
    recordId: r.id,
    keyEpoch: res.keyEpoch,
    grantee: res.viaOrganisation || s.account.address,
  });
}

async function download(r: Record, button: HTMLButtonElement): Promise<void> {
  const s = state.session!;
  const vault = state.vault!;
  const out = $("download");
  button.disabled = true;
  try {
    say(`opening record ${r.id}…`);
    const rk = await openRecordKey(r);
    const ticket = await wasm.ticket(
      {
        purpose: "read",
        reader: s.account.address,
        chainId: state.config!.chain_id,
        vault: await vault.vaultId(),
        recordId: r.id,
        version: r.version,
        cid: r.cid,
      },
      s.account.signDoc,
    );
    const stream = await vault.fetchCAR(r.cid, ticket);
    const bar = progressBar("download-progress", Number(r.sizeBytes));
    out.replaceChildren(bar.el);
    const blob = await decryptStream(stream, r.cid, Number(r.sizeBytes), rk, (n) => bar.set(n));
    const name = `record-${r.id}.${kindExtension(r.kind)}`;
    const link = h("a", { id: "download-link", href: URL.createObjectURL(blob), download: name }, `Save ${name}`);
    out.replaceChildren(
      h("p", {}, link, ` (${humanBytes(blob.size)}, every block verified; SHA-256 `, h("code", { id: "download-sha256" }, await sha256Hex(blob)), ")"),
    );
    say(`record ${r.id} downloaded and decrypted`, "ok");
  } catch (e) {
    fail(e);
  } finally {
    button.disabled = false;
  }
}

function kindExtension(k: RecordKind): string {
  return { [RecordKind.RECORD_KIND_DICOM]: "dcm", [RecordKind.RECORD_KIND_FHIR]: "json", [RecordKind.RECORD_KIND_PDF]: "pdf" }[k as number] ?? "bin";
}

function progressBar(id: string, total: number): { el: HTMLElement; set(n: number, t?: number): void } {
  const bar = h("progress", { id, max: Math.max(total, 1), value: 0 });
  return {
    el: bar,
    set(n: number, t?: number) {
      if (t) bar.max = t;
      bar.value = n;
    },
  };
}

// ---- upload ----

function uploadView(): HTMLElement {
  const file = h("input", { id: "upload-file", type: "file" });
  const label = h("input", { id: "upload-label", type: "text", maxlength: 128, placeholder: "label, sealed: only the record's readers see it" });
  const owner = h("input", { id: "upload-owner", type: "text", placeholder: "owner (default: you)" });
  const kind = h(
    "select",
    { id: "upload-kind" },
    ...["auto", "dicom", "fhir", "pdf", "image", "genomic", "other"].map((k) => h("option", { value: k }, k)),
  );
  const drop = h("div", { id: "drop-zone", class: "drop" }, "Drop a file here, or choose one: ", file);
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = (e as DragEvent).dataTransfer?.files;
    if (f && f.length) file.files = f;
  });
  const button = h("button", { id: "upload", type: "button" }, "Encrypt and upload");
  const progress = h("div", { id: "upload-progress" });
  button.addEventListener("click", async () => {
    const f = file.files?.[0];
    if (!f) {
      say("choose a file first", "error");
      return;
    }
    button.disabled = true;
    try {
      await upload(f, label.value, owner.value.trim(), kind.value, progress);
      await refreshRecords();
    } catch (e) {
      fail(e);
    } finally {
      button.disabled = false;
    }
  });
  return h("section", { class: "card" }, h("h2", {}, "Upload"), drop, h("div", { class: "row" }, label, kind, owner), button, progress);
}

async function upload(file: File, label: string, ownerField: string, kindField: string, progress: HTMLElement): Promise<void> {
  const s = state.session!;
  const chain = state.chain!;
  const vault = state.vault!;
  const chainId = state.config!.chain_id;
  if (file.size === 0) throw new Error(`${file.name} is empty: there is nothing to store`);
  const owner = ownerField || s.account.address;
  let kind: RecordKind;
  if (kindField === "auto") {
    const head = new Uint8Array(await file.slice(0, wasm.sniffBytes()).arrayBuffer());
    kind = kindFromName(wasm.kindOf(head));
  } else {
    kind = kindFromName(kindField);
  }
  const status = await vault.status();
  const estimate = wasm.encryptedSize(file.size);
  if (status.max_upload_bytes && estimate > status.max_upload_bytes) {
    throw new Error(`the file is ${humanBytes(file.size)}, about ${humanBytes(estimate)} encrypted; this vault accepts at most ${humanBytes(status.max_upload_bytes)} per upload`);
  }

  const readers = await newRecordReaders(owner, kind);
  const recordKey = wasm.newRecordKey();
  const sealedLabel = wasm.sealLabel(recordKey, owner, label);

  const encBar = progressBar("encrypt-bar", file.size);
  const sendBar = progressBar("upload-bar", 1);
  progress.replaceChildren(h("label", {}, "encrypting ", encBar.el), h("label", {}, " uploading ", sendBar.el));
  say(`encrypting ${file.name}…`);
  const enc = await encryptFile(file, recordKey, (n, t) => encBar.set(n, t));
  const wraps: KeyWrap[] = readers.map((k) => ({
    grantee: k.owner,
    keyId: k.keyId,
    ciphertext: wasm.wrap(k.publicKey, recordKey, { chainId, anchor: enc.cid, recordId: 0n, keyEpoch: 0n, grantee: k.owner }),
    recordId: 0n,
    keyEpoch: 0n,
  }));
  const msg = {
    typeUrl: "/medchain.records.v1.MsgCreateRecord",
    value: {
      creator: s.account.address,
      owner,
      cid: enc.cid,
      kind,
      sizeBytes: BigInt(enc.encryptedSize),
      sealedLabel,
      derivedFrom: 0n,
      wraps,
    },
  };
  // Ask the chain first: a refused record moves no data.
  const client = chain.signer(s.account);
  try {
    await client.simulate(s.account.address, [msg], "");
  } catch (e) {
    throw new Error(`the chain would refuse this record, nothing was uploaded: ${explain(e)}`);
  }
  say(`uploading ${humanBytes(enc.car.size)} of ciphertext to the vault…`);
  const ticket = await wasm.ticket(
    { purpose: "upload", reader: s.account.address, chainId, vault: await vault.vaultId(), size: enc.car.size },
    s.account.signDoc,
  );
  const stored = await vault.upload(enc.car, ticket, (n, t) => sendBar.set(n, t));
  if (stored !== enc.cid) throw new Error(`the vault stored ${stored}, not ${enc.cid}`);
  say("registering the record on chain…");
  let res;
  try {
    res = await chain.send(s.account, [msg]);
  } catch (e) {
    throw new Error(`the payload is in the vault as ${enc.cid} but the record was not registered (the vault collects it later): ${explain(e)}`);
  }
  const created = res.msgResponses.find((m) => m.typeUrl === "/medchain.records.v1.MsgCreateRecordResponse");
  const id = created ? MsgCreateRecordResponse.decode(created.value).id : 0n;
  say(`record ${id} created: ${enc.cid} (${kindName(kind)}, ${humanBytes(enc.encryptedSize)} encrypted) in block ${res.height}`, "ok");
  progress.replaceChildren(h("span", { id: "uploaded-record", "data-record": id.toString() }, `record ${id}`));
}

function kindFromName(name: string): RecordKind {
  const k = (RecordKind as unknown as { [n: string]: number })["RECORD_KIND_" + name.toUpperCase()];
  if (k === undefined) throw new Error(`unknown kind ${name}`);
  return k as RecordKind;
}

/**
 * The keys a new record of owner must be wrapped for: the owner's, then
 * every grantee of the owner's live READ scope grants covering kind, as
 * x/records checks on create.
 */
async function newRecordReaders(owner: string, kind: RecordKind) {
  const chain = state.chain!;
  const now = await chain.time();
  const grantees = [owner];
  let key: Uint8Array | undefined;
  do {
    const res = await chain.access.GrantsByOwner({
      owner,
      pagination: { key: key ?? new Uint8Array(), offset: 0n, limit: 100n, countTotal: false, reverse: false },
    });
    for (const g of res.grants) {
      const live = !g.expiresAt || Number(g.expiresAt.seconds) * 1000 > now.getTime();
      const covers = g.kinds.length === 0 || g.kinds.includes(kind);
      if (g.recordId === 0n && g.permission === 1 && live && covers) grantees.push(g.grantee);
    }
    key = res.pagination?.nextKey?.length ? res.pagination.nextKey : undefined;
  } while (key);
  const keys = [];
  for (const g of grantees) {
    let k;
    try {
      k = (await chain.access.EncryptionKey({ address: g, keyId: "" })).key;
    } catch (e) {
      k = undefined;
    }
    if (!k) {
      throw new Error(
        g === state.session!.account.address
          ? "register your encryption key first"
          : `${g} has no encryption key on chain (it must register one first)`,
      );
    }
    keys.push(k);
  }
  return keys;
}

void start();
