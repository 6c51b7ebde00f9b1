// The medchain portal: a patient's and a clinician's view of their
// records, in the browser, with keys that never leave it. See
// docs/portal.md.

import { toHex } from "@cosmjs/encoding";
/*! qrcode-generator 2.0.4 | Copyright (c) 2009 Kazuhiko Arase | MIT license | "QR Code" is a registered trademark of DENSO WAVE INCORPORATED */
import qrcode from "qrcode-generator";

import { Account, accountFromKeplr, accountFromMnemonic, Chain, explain, keplr, PortalConfig } from "./chain";
import { AccessRequest, emergencyReasonToJSON, Grant, KeyAlgorithm, Permission } from "./gen/medchain/access/v1/types";
import { Record, RecordKind, RecordStatus, recordStatusToJSON } from "./gen/medchain/records/v1/types";
import * as ops from "./ops";
import { action, card, fail, field, h, humanBytes, progressBar, say, select, setExplainer, time, $ } from "./ui";
import { discardLeftovers, Vault } from "./vault";
import { instanceBytes, isStudy, readStudy, StudyLayout } from "./study";
import { showDICOM } from "./viewer";
import * as wasm from "./wasm";

setExplainer(explain);

// For the memory benchmark (scripts/bench-portal.sh): how much the
// WebAssembly client holds.
(globalThis as unknown as { medchainMemory: () => number }).medchainMemory = wasm.memoryBytes;

let ctx: ops.Ctx | undefined;
let config: PortalConfig | undefined;
let chain: Chain | undefined;
let vault: Vault | undefined;

function c(): ops.Ctx {
  if (!ctx) throw new Error("sign in first");
  return ctx;
}

const PURPOSES = ["treatment", "emergency", "research", "payment", "operations", "patient_request"];
const KINDS = ["dicom", "fhir", "pdf", "image", "genomic", "other"];

// ---- start and sign-in ----

async function start(): Promise<void> {
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (!res.ok) throw new Error(`the portal's configuration did not load (${res.status})`);
    config = (await res.json()) as PortalConfig;
    if (!config.wasm) throw new Error("this node was built without the portal's WebAssembly client: build it with `make build`");
    if (!config.chain_id) throw new Error("the node does not know its chain yet (it is starting): reload in a moment");
    await wasm.loadWasm("./");
    void discardLeftovers();
    chain = await Chain.connect(config);
    vault = new Vault(new URL(config.vault, location.href).toString());
    $("chain-id").textContent = config.chain_id;
  } catch (e) {
    say(explain(e), "error");
    $("app").replaceChildren();
    return;
  }
  $("app").replaceChildren(signInView());
}

function signInView(): HTMLElement {
  const mnemonic = h("textarea", {
    id: "mnemonic",
    rows: 3,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "your 24 words: held only in this page, never sent anywhere",
  });
  return card(
    "sign-in-card",
    "Sign in",
    keplr()
      ? h("p", {}, action("sign-in-keplr", "Sign in with Keplr", async () => signIn(await accountFromKeplr(config!))),
          " Keplr signs; your encryption key is derived from a signature it makes, as the CLI does.")
      : h("p", { class: "note" }, "With the Keplr wallet installed, you can sign in with it instead of a mnemonic."),
    h("p", {}, "Or sign in with your account's mnemonic (for development and tests). It stays in this page: the node never sees it, or any key derived from it."),
    mnemonic,
    // ?sign=amino signs transactions in amino-JSON, as a Ledger does.
    action("sign-in", "Sign in", async () =>
      signIn(await accountFromMnemonic(mnemonic.value, config!.bech32_prefix, new URLSearchParams(location.search).get("sign") === "amino")),
    ),
  );
}

async function signIn(account: Account): Promise<void> {
  const chainId = config!.chain_id;
  say(
    `deriving your encryption key: your wallet signs a text naming ${chainId}. That signature is the key to every record ` +
      "shared with you there, so sign it only on this portal or in medchaind, never on another site.",
  );
  const key = await wasm.deriveKey(account.address, chainId, account.signDoc);
  // An account that registered a key before keys were bound to a chain
  // (releases up to v0.4.0) may still hold wraps sealed to that legacy
  // key: derive it too (a second signature) so that they open.
  let legacyKeyId = "";
  let known: string[] = [];
  try {
    known = (await chain!.access.EncryptionKeys({ address: account.address })).keys.map((k) => k.keyId);
  } catch {
    known = [];
  }
  if (known.some((id) => id !== key.keyId)) {
    say("your account also has an encryption key from before keys were bound to a chain: sign once more to open what is sealed to it…");
    try {
      legacyKeyId = (await wasm.deriveLegacyKey(account.address, account.signDoc)).keyId;
    } catch (e) {
      say(`records sealed to your earlier key will not open in this session: ${String(e)}`, "error");
    }
  }
  ctx = { config: config!, chain: chain!, vault: vault!, session: { account, keyId: key.keyId, publicKey: key.publicKey, legacyKeyId } };
  $("who").textContent = account.address;
  $("message").hidden = true;
  showHome();
}

// ---- layout ----

function showHome(): void {
  const patient = h("div", { id: "patient-view" });
  const clinician = h("div", { id: "clinician-view", hidden: true });
  const tab = (id: string, label: string, show: HTMLElement, hide: HTMLElement, load: () => void) =>
    action(id, label, async () => {
      show.hidden = false;
      hide.hidden = true;
      load();
    }, "tab");
  $("app").replaceChildren(
    keyCard(),
    h("nav", { class: "tabs" }, tab("tab-patient", "My records (patient)", patient, clinician, () => void loadPatient(patient)),
      tab("tab-clinician", "Shared with me (clinician)", clinician, patient, () => void loadClinician(clinician))),
    patient,
    clinician,
    card("viewer-card", "Download and view", h("div", { id: "viewer-nav" }), h("div", { id: "viewer-layer" }), h("div", { id: "download" })),
  );
  $("viewer-card").hidden = true;
  void refreshKey();
  void loadPatient(patient);
}

function keyCard(): HTMLElement {
  return card(
    "key-card",
    "Your encryption key",
    h("p", {}, "Key id ", h("code", { id: "key-id" }, c().session.keyId), " ", h("span", { id: "key-status" }, "…")),
    h("div", { id: "key-actions" }),
  );
}

async function refreshKey(): Promise<void> {
  const s = c().session;
  const status = $("key-status");
  const actions = $("key-actions");
  actions.replaceChildren();
  let registered = "";
  try {
    registered = (await c().chain.access.EncryptionKey({ address: s.account.address, keyId: "" })).key?.keyId ?? "";
  } catch {
    registered = "";
  }
  if (registered === s.keyId) {
    status.textContent = "registered on chain";
    status.className = "ok";
    return;
  }
  status.textContent =
    registered && registered === s.legacyKeyId
      ? `the one on chain (${registered}) is your earlier key, not bound to ${c().config.chain_id}: register this one; what is sealed to the earlier key still opens`
      : registered
        ? `differs from the one on chain (${registered})`
        : "not registered yet";
  status.className = "warn";
  actions.append(
    action("register-key", "Register my encryption key", async () => {
      say("registering your encryption key…");
      await c().chain.send(s.account, [
        {
          typeUrl: "/medchain.access.v1.MsgRegisterEncryptionKey",
          value: { owner: s.account.address, algorithm: KeyAlgorithm.KEY_ALGORITHM_MLKEM768_X25519, publicKey: s.publicKey },
        },
      ]);
      say("your encryption key is registered", "ok");
      await refreshKey();
    }),
  );
}

// ---- patient ----

async function loadPatient(view: HTMLElement): Promise<void> {
  if (view.childElementCount === 0) {
    view.append(
      uploadCard("upload", false),
      card("records-card", h("span", {}, "My records ", action("refresh", "Refresh", () => refreshPatient(), "small")), h("div", { id: "records" }, "loading…")),
      shareCard(),
      enrolCard(),
      card("grants-card", "Who can see my records", h("div", { id: "grants" }), h("div", { id: "revoke-progress" })),
      card("inbox-card", "Access requests", h("div", { id: "inbox" })),
      card(
        "consent-card",
        "Consent (FHIR R4)",
        h("p", {}, "Every grant you gave, as FHIR Consent resources another hospital system can read."),
        action("consent-export", "Export", () => exportConsent()),
        h("div", { id: "consent" }),
      ),
      card("log-card", "Access log", h("div", { id: "access-log" }, "Choose a record's “Log” to see who read it.")),
      card("emergency-card", "Emergency access", h("div", { id: "emergency" })),
    );
  }
  await refreshPatient();
}

async function refreshPatient(): Promise<void> {
  await Promise.all([refreshRecords(), refreshGrants(), refreshInbox(), refreshEmergency(), refreshHospitals()]);
}

// The patient's emergency policy and every break-glass on their records.
// Opting in splits a secret among hospitals: `medchaind tx access
// set-emergency-policy` does it.
async function refreshEmergency(): Promise<void> {
  const { policy, log } = await ops.emergencyOf(c());
  const reason = (r: number) => emergencyReasonToJSON(r).replace("EMERGENCY_REASON_", "").toLowerCase().replaceAll("_", " ");
  $("emergency").replaceChildren(
    policy
      ? h("p", { id: "emergency-policy" }, `Any ${policy.threshold} of your ${policy.shares.length} custodians release your emergency key to a practitioner who breaks the glass (hospitals only), or approve moving your records to a new account if you lose your key: `,
          ...policy.shares.map((s) => h("code", {}, s.custodian + " ")))
      : h("p", { id: "emergency-policy" }, "You have not opted in to emergency access (medchaind tx access set-emergency-policy)."),
    policy && policy.spentBy !== 0n
      ? h("p", { id: "emergency-spent", class: "message error" },
          `Your emergency key was used by emergency access ${policy.spentBy} on ${time(policy.spentAt)}: that practitioner can open every record wrapped to it. ` +
            "It is spent and must be renewed: new records are not wrapped to it, so no break-glass or key recovery opens them until you run ",
          h("code", {}, "medchaind tx access set-emergency-policy"), ".")
      : "",
    log.length === 0
      ? h("p", { id: "emergency-none" }, "No one has broken the glass on your records.")
      : h(
          "table",
          { id: "emergency-log" },
          h("thead", {}, h("tr", {}, ...["#", "opened", "practitioner", "organisation", "reason", "releases", "window ends"].map((t) => h("th", {}, t)))),
          h(
            "tbody",
            {},
            ...log.map((a) =>
              h("tr", {}, h("td", {}, a.id.toString()), h("td", {}, time(a.openedAt)), h("td", {}, h("code", {}, a.practitioner)),
                h("td", {}, h("code", {}, a.organisation)), h("td", {}, reason(a.reason)), h("td", {}, String(a.releases.length)), h("td", {}, time(a.expiresAt))),
            ),
          ),
        ),
  );
}

async function refreshRecords(): Promise<void> {
  const box = $("records");
  try {
    const records = await ops.recordsOf(c(), c().session.account.address);
    if (records.length === 0) {
      box.replaceChildren(h("p", { id: "no-records" }, "No records yet."));
      return;
    }
    box.replaceChildren(recordTable("records-table", records.map((r) => ({ record: r })), true));
  } catch (e) {
    box.textContent = "";
    throw e;
  }
}

function recordTable(id: string, rows: { record: Record; note?: string }[], owner: boolean): HTMLElement {
  const head = ["id", "label", "kind", "size", "version", "status", "created", "organisation", owner ? "" : "owner", ""];
  return h(
    "table",
    { id },
    h("thead", {}, h("tr", {}, ...head.map((t) => h("th", {}, t)))),
    h("tbody", {}, ...rows.map((x) => recordRow(x.record, owner))),
  );
}

function recordRow(r: Record, owner: boolean): HTMLElement {
  const label = h("td", { class: "label" }, r.sealedLabel.length ? "(sealed)" : "");
  const active = r.status === RecordStatus.RECORD_STATUS_ACTIVE;
  const buttons = h("td", { class: "actions" });
  if (active) {
    buttons.append(action("", "Download", () => downloadRecord(r), "small download"));
    if (r.kind === RecordKind.RECORD_KIND_DICOM) buttons.append(action("", "View", () => viewRecord(r), "small view"));
    if (owner) {
      buttons.append(
        action("", "Share", async () => prefillShare({ recordId: r.id }), "small share"),
        action("", "Log", () => showLog(r.id), "small log"),
        r.archiveAllowed
          ? action("", "Keep out of archive", () => archiveConsent(r, false), "small archive-withdraw")
          : action("", "Allow archive", () => archiveConsent(r, true), "small archive-allow"),
      );
    }
  }
  if (r.sealedLabel.length && active) {
    void ops
      .openRecordKey(c(), r.id)
      .then((rk) => (label.textContent = wasm.openLabel(rk.key, r.owner, r.sealedLabel)))
      .catch(() => undefined);
  }
  return h(
    "tr",
    { id: `${owner ? "record" : "shared"}-${r.id}` },
    h("td", {}, r.id.toString()),
    label,
    h("td", { class: "kind" }, ops.kindName(r.kind)),
    h("td", {}, humanBytes(Number(r.sizeBytes))),
    h("td", {}, r.version.toString()),
    h("td", {}, recordStatusToJSON(r.status).replace("RECORD_STATUS_", "").toLowerCase()),
    h("td", {}, time(r.createdAt)),
    h("td", {}, r.organisation || "—"),
    owner ? h("td", {}) : h("td", { class: "owner" }, h("code", {}, r.owner)),
    buttons,
  );
}

async function archiveConsent(r: Record, allow: boolean): Promise<void> {
  const text = allow
    ? ops.ARCHIVE_CONSENT_TEXT
    : "Keep this record out of new archives? Copies already archived stay with the storage provider until their deals expire.";
  if (!confirm(text)) return;
  say(`${allow ? "allowing" : "withdrawing"} archiving of record ${r.id}…`);
  await ops.setArchiveConsent(c(), r.id, allow);
  say(`record ${r.id}: archiving ${allow ? "allowed" : "withdrawn"}`);
  await refreshRecords();
}

async function fetchRecord(r: Record): Promise<Blob> {
  $("viewer-card").hidden = false;
  $("viewer-card").scrollIntoView();
  const bar = progressBar("download-progress", Number(r.sizeBytes));
  $("download").replaceChildren(bar.el);
  say(`downloading record ${r.id}…`);
  return ops.download(c(), r, (n) => bar.set(n));
}

async function downloadRecord(r: Record): Promise<void> {
  const blob = await fetchRecord(r);
  const ext = { [RecordKind.RECORD_KIND_DICOM]: "dcm", [RecordKind.RECORD_KIND_FHIR]: "json", [RecordKind.RECORD_KIND_PDF]: "pdf" }[r.kind as number] ?? "bin";
  const name = `record-${r.id}.${ext}`;
  const sum = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer())));
  $("download").replaceChildren(
    h(
      "p",
      {},
      h("a", { id: "download-link", href: URL.createObjectURL(blob), download: name }, `Save ${name}`),
      ` (${humanBytes(blob.size)}, every block verified; SHA-256 `,
      h("code", { id: "download-sha256", "data-record": r.id.toString() }, sum),
      ")",
    ),
  );
  say(`record ${r.id} downloaded and decrypted`, "ok");
}

async function viewRecord(r: Record): Promise<void> {
  const blob = await fetchRecord(r);
  $("download").replaceChildren();
  $("viewer-nav").replaceChildren();
  const layer = $("viewer-layer");
  layer.removeAttribute("data-drawn");
  if (await isStudy(blob)) {
    say(`reading the study in record ${r.id}…`);
    const study = await readStudy(blob);
    await studyNavigator(r, blob, study);
    return;
  }
  say(`showing record ${r.id}…`);
  const shown = await showDICOM(layer, blob, `record-${r.id}.dcm`);
  layer.setAttribute("data-record", r.id.toString());
  layer.setAttribute("data-drawn", String(shown.drawn));
  say(`record ${r.id} shown in the viewer: ${shown.width}×${shown.height}, ${shown.drawn} pixels drawn`, "ok");
}

/**
 * Pages through a study record (a study container): a series list and
 * previous/next instance, each instance's SHA-256 checked against the
 * study's index before the sandboxed viewer is given it.
 */
async function studyNavigator(r: Record, blob: Blob, study: StudyLayout): Promise<void> {
  const layer = $("viewer-layer");
  const position = h("span", { id: "viewer-position" });
  const seriesLabel = (k: number) => {
    const s = study.series[k];
    const what = [s.seriesNumber ? `series ${s.seriesNumber}` : `series ${k + 1}`, s.modality, s.description].filter(Boolean).join(" · ");
    return `${what} (${s.instances.length} instance${s.instances.length === 1 ? "" : "s"})`;
  };
  const seriesList = h("select", { id: "viewer-series" }, ...study.series.map((_, k) => h("option", { value: String(k) }, seriesLabel(k))));
  const prev = h("button", { id: "viewer-prev", type: "button", class: "small" }, "◀ Previous");
  const next = h("button", { id: "viewer-next", type: "button", class: "small" }, "Next ▶");
  let current = -1;
  let busy = false;
  // The series (k) and the place in it (i) of instance n, in container order.
  const place = (n: number) => {
    const k = study.series.findIndex((s) => s.instances.includes(n));
    return { k, i: study.series[k].instances.indexOf(n) };
  };
  const show = async (n: number) => {
    if (busy || n < 0 || n >= study.instances.length) return;
    busy = true;
    prev.disabled = next.disabled = seriesList.disabled = true;
    const e = study.instances[n];
    const { k, i } = place(n);
    const where = `series ${k + 1} of ${study.series.length}, instance ${i + 1} of ${study.series[k].instances.length}`;
    try {
      current = n;
      seriesList.value = String(k);
      position.textContent = where;
      layer.setAttribute("data-instance", e.sopInstanceUID);
      layer.removeAttribute("data-drawn");
      say(`checking and showing ${where} of record ${r.id}…`);
      const bytes = await instanceBytes(blob, e);
      const shown = await showDICOM(layer, bytes, `${e.sopInstanceUID}.dcm`);
      layer.setAttribute("data-drawn", String(shown.drawn));
      say(`record ${r.id}: ${where} shown in the viewer: ${shown.width}×${shown.height}, ${shown.drawn} pixels drawn`, "ok");
    } catch (err) {
      position.textContent = `${where}: not shown`;
      fail(err);
    } finally {
      busy = false;
      seriesList.disabled = false;
      prev.disabled = current <= 0;
      next.disabled = current >= study.instances.length - 1;
    }
  };
  prev.addEventListener("click", () => void show(current - 1));
  next.addEventListener("click", () => void show(current + 1));
  seriesList.addEventListener("change", () => void show(study.series[Number(seriesList.value)].instances[0]));
  $("viewer-nav").replaceChildren(
    h("p", { id: "viewer-study" }, `Study ${study.studyInstanceUID}: ${study.instances.length} instances in ${study.series.length} series. `,
      "Each instance is checked against the study's index (SHA-256) before it is shown."),
    h("div", { class: "row" }, seriesList, prev, next, position),
  );
  layer.setAttribute("data-record", r.id.toString());
  layer.setAttribute("data-instances", String(study.instances.length));
  await show(0);
}

// ---- enrolment at a hospital's DICOMweb bridge ----

const VALIDITIES: [string, number][] = [["1 hour", 3600], ["24 hours", 86400], ["7 days", 604800]];

function enrolCard(): HTMLElement {
  const hospital = h("select", { id: "enrol-hospital" }, h("option", { value: "" }, "loading hospitals…"));
  const valid = h("select", { id: "enrol-valid" }, ...VALIDITIES.map(([label, secs]) => h("option", { value: String(secs) }, label)));
  valid.value = "86400";
  hospital.addEventListener("change", () => void refreshDicomWrite());
  return card(
    "enrol-card",
    "Enrol at a hospital",
    h("p", {}, "A hospital's imaging systems (PACS) know you by their own patient number. To have the studies they make stored as your records, ",
      "make a one-time enrolment code here and give it to the hospital's front desk, who enter it with your patient number."),
    h("div", { class: "grid" }, field("hospital", hospital), field("valid for", valid)),
    action("enrol-make", "Make a code", async () => {
      if (!hospital.value) throw new Error("choose a hospital");
      say("signing the enrolment code…");
      const { code, expires } = await ops.enrolmentCode(c(), hospital.value, Number(valid.value));
      showEnrolmentCode(code, expires, hospital.selectedOptions[0]?.textContent ?? hospital.value);
      say(`enrolment code made for ${hospital.value}`, "ok");
    }),
    h("div", { id: "enrol-result" }),
    h("p", { class: "note" }, "The code works once, at that hospital only, until it expires. The chain never sees it: ",
      "it goes from you to the hospital's front desk, and the hospital's bridge checks it against your account's key."),
    h("p", { class: "note" }, "For the hospital's PACS to store studies for you, the hospital also needs your permission to write DICOM records: ",
      h("span", { id: "enrol-write-status" })),
    action("enrol-grant-write", "Let this hospital store my DICOM studies", async () => {
      if (!hospital.value) throw new Error("choose a hospital");
      say("granting…");
      const id = await ops.grantDicomWrite(c(), hospital.value);
      say(`grant ${id} given to ${hospital.value}: WRITE, dicom, treatment`, "ok");
      await Promise.all([refreshGrants(), refreshDicomWrite()]);
    }),
  );
}

function showEnrolmentCode(code: string, expires: string, hospitalName: string): void {
  const groups = code.match(/.{1,4}/g) ?? [code];
  const qr = qrcode(0, "M");
  // Upper-case base32 and digits: QR's alphanumeric mode, the densest a
  // phone or a desk scanner reads.
  qr.addData(code, "Alphanumeric");
  qr.make();
  const modules = qr.getModuleCount();
  const scale = 5;
  const quiet = 4;
  const canvas = h("canvas", { id: "enrol-qr", width: (modules + 2 * quiet) * scale, height: (modules + 2 * quiet) * scale, "data-modules": modules });
  const g = canvas.getContext("2d");
  if (g) {
    g.fillStyle = "#fff";
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.fillStyle = "#000";
    for (let row = 0; row < modules; row++) {
      for (let col = 0; col < modules; col++) if (qr.isDark(row, col)) g.fillRect((col + quiet) * scale, (row + quiet) * scale, scale, scale);
    }
  }
  canvas.setAttribute("aria-label", "the enrolment code as a QR code");
  const text = h("code", { id: "enrol-code", "data-code": code, class: "enrol-code" }, groups.join(" "));
  const copy = action("enrol-copy", "Copy", async () => {
    try {
      await navigator.clipboard.writeText(code);
      say("enrolment code copied", "ok");
    } catch {
      // No clipboard (an insecure origin, or denied): select it for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents(text);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      say("the code is selected: copy it with Ctrl+C", "info");
    }
  }, "small");
  $("enrol-result").replaceChildren(
    h("p", {}, `For ${hospitalName}, valid until `, h("span", { id: "enrol-expires" }, expires.replace("T", " ").replace("Z", " UTC")), ":"),
    h("div", { class: "enrol" }, canvas, h("div", {}, text, copy)),
  );
}

async function refreshHospitals(): Promise<void> {
  const sel = $("enrol-hospital") as HTMLSelectElement;
  const chosen = sel.value;
  const list = await ops.hospitals(c());
  sel.replaceChildren(
    ...(list.length
      ? list.map((i) => h("option", { value: i.address }, `${i.name || "unnamed"} (${i.address.slice(0, 14)}…${i.address.slice(-6)})`))
      : [h("option", { value: "" }, "no hospital is registered on this chain")]),
  );
  if (chosen && list.some((i) => i.address === chosen)) sel.value = chosen;
  await refreshDicomWrite();
}

async function refreshDicomWrite(): Promise<void> {
  const hospital = ($("enrol-hospital") as HTMLSelectElement).value;
  const status = $("enrol-write-status");
  if (!hospital) {
    status.textContent = "";
    return;
  }
  const g = await ops.dicomWriteGrant(c(), hospital);
  status.textContent = g ? `this hospital has it (grant ${g.id}).` : "this hospital does not have it yet.";
  status.className = g ? "ok" : "warn";
}

// ---- upload ----

function uploadCard(prefix: string, forPatient: boolean): HTMLElement {
  const id = (s: string) => `${prefix}-${s}`;
  const file = h("input", { id: id("file"), type: "file" });
  const label = h("input", { id: id("label"), type: "text", maxlength: 128, placeholder: "label, sealed: only the record's readers see it" });
  const owner = h("input", { id: id("owner"), type: "text", placeholder: forPatient ? "the patient's address (who granted you WRITE)" : "owner (default: you)" });
  const kind = select(id("kind"), ["auto", ...KINDS]);
  const drop = h("div", { id: id("drop"), class: "drop" }, "Drop a file here, or choose one: ", file);
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
  const progress = h("div", { id: id("progress") });
  const run = async () => {
    const f = file.files?.[0];
    if (!f) throw new Error("choose a file first");
    if (forPatient && !owner.value.trim()) throw new Error("give the patient's address");
    const enc = progressBar(id("encrypt-bar"), f.size);
    const send = progressBar(id("send-bar"), 1);
    progress.replaceChildren(h("label", {}, "encrypting ", enc.el), h("label", {}, " uploading ", send.el));
    const res = await ops.upload(
      c(),
      f,
      { owner: owner.value.trim(), label: label.value, kind: kind.value },
      { encrypting: (n, t) => enc.set(n, t), sending: (n, t) => send.set(n, t), status: (t) => say(t) },
    );
    say(`record ${res.id} created: ${res.cid} (${ops.kindName(res.kind)}, ${humanBytes(res.encryptedSize)} encrypted) in block ${res.height}`, "ok");
    progress.replaceChildren(h("span", { id: id("done"), "data-record": res.id.toString() }, `record ${res.id}`));
    if (!forPatient) await refreshRecords();
  };
  return card(
    id("card"),
    forPatient ? "Upload for a patient" : "Upload",
    drop,
    h("div", { class: "row" }, label, kind, owner),
    action(id("submit"), "Encrypt and upload", run),
    progress,
  );
}

// ---- share, grants, revoke ----

function shareCard(): HTMLElement {
  const grantee = h("input", { id: "share-grantee", type: "text", placeholder: "the doctor's or hospital's address" });
  const scope = select("share-scope", ["record", "all"]);
  const record = h("input", { id: "share-record", type: "text", placeholder: "record id" });
  const kinds = h("input", { id: "share-kinds", type: "text", placeholder: "for all: kinds, e.g. dicom,fhir (empty: every kind)" });
  const permission = select("share-permission", ["read", "write"]);
  const purpose = select("share-purpose", PURPOSES);
  const expires = h("input", { id: "share-expires", type: "text", placeholder: "expires in, e.g. 30d, 12h (empty: until revoked)" });
  const request = h("input", { id: "share-request", type: "hidden", value: "0" });
  return card(
    "share-card",
    "Share",
    h(
      "div",
      { class: "grid" },
      field("with", grantee),
      field("scope", scope),
      field("record", record),
      field("kinds", kinds),
      field("permission", permission),
      field("purpose", purpose),
      field("expires", expires),
    ),
    request,
    h("p", { id: "share-answers", class: "note" }),
    action("share-submit", "Grant", async () => {
      const f: ops.GrantForm = {
        grantee: grantee.value.trim(),
        recordId: scope.value === "record" ? BigInt(record.value.trim() || "0") : 0n,
        kinds: scope.value === "all" ? kinds.value.split(",").map((k) => k.trim()).filter(Boolean).map(ops.kindFromName) : [],
        permission: permission.value === "read" ? Permission.PERMISSION_READ : Permission.PERMISSION_WRITE,
        purpose: ops.purposeFromName(purpose.value),
        expiresInSeconds: parseDuration(expires.value.trim()),
        requestId: BigInt(request.value || "0"),
      };
      if (!f.grantee) throw new Error("give the address to share with");
      if (scope.value === "record" && f.recordId === 0n) throw new Error("give the record id, or choose scope all");
      say("granting…");
      const id = await ops.grant(c(), f);
      say(`grant ${id} given to ${f.grantee}`, "ok");
      request.value = "0";
      $("share-answers").textContent = "";
      await refreshPatient();
    }),
  );
}

function prefillShare(p: { recordId?: bigint; grantee?: string; request?: AccessRequest }): void {
  const set = (id: string, v: string) => (($(id) as HTMLInputElement).value = v);
  if (p.request) {
    const r = p.request;
    set("share-grantee", r.requester);
    set("share-scope", r.recordId === 0n ? "all" : "record");
    set("share-record", r.recordId === 0n ? "" : r.recordId.toString());
    set("share-kinds", r.kinds.map(ops.kindName).join(","));
    set("share-permission", ops.permissionName(r.permission));
    set("share-purpose", ops.purposeName(r.purpose));
    set("share-request", r.id.toString());
    $("share-answers").textContent = `This grant answers request ${r.id}.`;
  } else if (p.recordId) {
    set("share-scope", "record");
    set("share-record", p.recordId.toString());
  }
  $("share-card").scrollIntoView();
}

function parseDuration(s: string): number {
  if (!s) return 0;
  const m = s.match(/^(\d+)\s*([smhd])$/);
  if (!m) throw new Error(`expiry "${s}": use a number and s, m, h or d, e.g. 30d`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
}

async function refreshGrants(): Promise<void> {
  const grants = await ops.grantsByOwner(c(), c().session.account.address);
  const box = $("grants");
  if (grants.length === 0) {
    box.replaceChildren(h("p", {}, "You have not shared anything."));
    return;
  }
  box.replaceChildren(
    h(
      "table",
      { id: "grants-table" },
      h("thead", {}, h("tr", {}, ...["grant", "with", "what", "permission", "purpose", "expires", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...grants.map(grantRow)),
    ),
  );
}

function grantRow(g: Grant): HTMLElement {
  const what = g.recordId !== 0n ? `record ${g.recordId}` : g.kinds.length ? `all ${g.kinds.map(ops.kindName).join(", ")}` : "all records";
  return h(
    "tr",
    { id: `grant-${g.id}` },
    h("td", {}, g.id.toString()),
    h("td", {}, h("code", {}, g.grantee)),
    h("td", {}, what),
    h("td", {}, ops.permissionName(g.permission)),
    h("td", {}, ops.purposeName(g.purpose)),
    h("td", {}, g.expiresAt ? time(g.expiresAt) : "until revoked"),
    h(
      "td",
      {},
      action("", "Revoke", async () => {
        const bar = progressBar("revoke-bar", 1);
        const note = h("span", { id: "revoke-status" });
        $("revoke-progress").replaceChildren(bar.el, " ", note);
        const rotated = await ops.revoke(c(), g, (text, done, total) => {
          note.textContent = text;
          bar.set(done, Math.max(total, 1));
        });
        note.textContent = rotated.length ? `revoked; ${rotated.length} record(s) re-encrypted under new keys` : "revoked";
        say(`grant ${g.id} revoked` + (rotated.length ? `; rotated ${rotated.length} record(s)` : ""), "ok");
        await refreshPatient();
      }, "small revoke"),
    ),
  );
}

async function refreshInbox(): Promise<void> {
  const requests = await ops.requestsToMe(c());
  const box = $("inbox");
  if (requests.length === 0) {
    box.replaceChildren(h("p", {}, "No pending requests."));
    return;
  }
  box.replaceChildren(
    h(
      "table",
      { id: "inbox-table" },
      h("thead", {}, h("tr", {}, ...["request", "from", "what", "permission", "purpose", "reason", ""].map((t) => h("th", {}, t)))),
      h(
        "tbody",
        {},
        ...requests.map((r) =>
          h(
            "tr",
            { id: `request-${r.id}` },
            h("td", {}, r.id.toString()),
            h("td", {}, h("code", {}, r.requester)),
            h("td", {}, r.recordId !== 0n ? `record ${r.recordId}` : "all records"),
            h("td", {}, ops.permissionName(r.permission)),
            h("td", {}, ops.purposeName(r.purpose)),
            h("td", { class: "reason" }, ops.openReason(c(), r)),
            h(
              "td",
              {},
              action("", "Approve…", async () => prefillShare({ request: r }), "small approve"),
              action("", "Deny", async () => {
                await ops.deny(c(), r.id);
                say(`request ${r.id} denied`, "ok");
                await refreshInbox();
              }, "small deny"),
            ),
          ),
        ),
      ),
    ),
  );
}

async function exportConsent(): Promise<void> {
  const json = await ops.consentExport(c());
  const url = URL.createObjectURL(new Blob([json], { type: "application/fhir+json" }));
  $("consent").replaceChildren(
    h("p", {}, h("a", { id: "consent-link", href: url, download: "consent.json" }, "Save consent.json")),
    h("pre", { id: "consent-json" }, json),
  );
}

async function showLog(recordId: bigint): Promise<void> {
  const entries = await ops.accessLog(c(), recordId);
  const box = $("access-log");
  box.replaceChildren(
    h("p", {}, `Record ${recordId}: ${entries.length} decision(s), newest last.`),
    h(
      "table",
      { id: "access-log-table", "data-record": recordId.toString() },
      h("thead", {}, h("tr", {}, ...["when", "reader", "outcome", "reason", "version"].map((t) => h("th", {}, t)))),
      h(
        "tbody",
        {},
        ...entries.map((e) =>
          h("tr", { class: `log-${String(e.outcome)}` }, h("td", {}, String(e.time ?? "")), h("td", {}, h("code", {}, String(e.reader ?? ""))),
            h("td", {}, String(e.outcome ?? "")), h("td", {}, String(e.reason ?? "")), h("td", {}, String(e.version ?? ""))),
        ),
      ),
    ),
  );
  $("log-card").scrollIntoView();
}

// ---- clinician ----

async function loadClinician(view: HTMLElement): Promise<void> {
  if (view.childElementCount === 0) {
    view.append(
      card("shared-card", h("span", {}, "Records shared with me ", action("shared-refresh", "Refresh", () => refreshShared(), "small")), h("div", { id: "shared" })),
      requestCard(),
      uploadCard("clinician-upload", true),
    );
  }
  await refreshShared();
}

async function refreshShared(): Promise<void> {
  const rows = await ops.sharedWithMe(c());
  const box = $("shared");
  if (rows.length === 0) {
    box.replaceChildren(h("p", { id: "nothing-shared" }, "Nothing is shared with you."));
    return;
  }
  box.replaceChildren(recordTable("shared-table", rows, false));
}

function requestCard(): HTMLElement {
  const owner = h("input", { id: "request-owner", type: "text", placeholder: "the patient's address" });
  const record = h("input", { id: "request-record", type: "text", placeholder: "record id (empty: all their records)" });
  const kinds = h("input", { id: "request-kinds", type: "text", placeholder: "for all: kinds, e.g. dicom" });
  const permission = select("request-permission", ["read", "write"]);
  const purpose = select("request-purpose", PURPOSES);
  const reason = h("input", { id: "request-reason", type: "text", placeholder: "reason, sealed: only the patient reads it" });
  return card(
    "request-card",
    "Request access",
    h("div", { class: "grid" }, field("patient", owner), field("record", record), field("kinds", kinds), field("permission", permission),
      field("purpose", purpose), field("reason", reason)),
    action("request-submit", "Send request", async () => {
      if (!owner.value.trim()) throw new Error("give the patient's address");
      const id = await ops.requestAccess(c(), {
        owner: owner.value.trim(),
        recordId: BigInt(record.value.trim() || "0"),
        kinds: kinds.value.split(",").map((k) => k.trim()).filter(Boolean).map(ops.kindFromName),
        permission: permission.value === "read" ? Permission.PERMISSION_READ : Permission.PERMISSION_WRITE,
        purpose: ops.purposeFromName(purpose.value),
        reason: reason.value,
      });
      say(`request ${id} sent to ${owner.value.trim()}`, "ok");
      $("request-card").setAttribute("data-request", id.toString());
    }),
  );
}

void start();
