// Amino-JSON (SIGN_MODE_LEGACY_AMINO_JSON) for the messages the portal
// sends, for signers that sign only that way (a Ledger through Keplr). The
// chain builds the sign document with the Cosmos SDK's aminojson encoder:
// the message's amino.name as type, proto field names, fields sorted, zero
// values left out unless amino.dont_omitempty, 64-bit integers as strings,
// enums as numbers, bytes in base64, timestamps in RFC 3339, and an empty
// list that must not be omitted as null. The converters
// below follow those rules field by field; TestPortalInTheBrowser signs
// every message this way once, so a mismatch is a refused signature there.

import { fromBase64, toBase64 } from "@cosmjs/encoding";
import { AminoConverters } from "@cosmjs/stargate";

type Kind = "string" | "u64" | "enum" | "bytes" | "time" | "bool" | Schema;
interface Field {
  name: string; // proto (amino) name
  ts: string; // ts-proto name
  kind: Kind;
  repeated?: boolean;
  dontOmitEmpty?: boolean;
}
type Schema = Field[];

const f = (name: string, kind: Kind, extra: Partial<Field> = {}): Field => ({
  name,
  ts: name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
  kind,
  ...extra,
});

const keyWrap: Schema = [f("grantee", "string"), f("key_id", "string"), f("ciphertext", "bytes"), f("record_id", "u64"), f("key_epoch", "u64")];
const wraps = f("wraps", keyWrap, { repeated: true, dontOmitEmpty: true });
const receipt = f("receipt", [f("hospital", "string"), f("pub_key", "bytes"), f("signature", "bytes")]);
const rotation: Schema = [f("record_id", "u64"), f("cid", "string"), f("size_bytes", "u64"), wraps, f("sealed_label", "bytes"), receipt];

const messages: { [typeUrl: string]: { aminoType: string; schema: Schema } } = {
  "/medchain.access.v1.MsgRegisterEncryptionKey": {
    aminoType: "medchain/x/access/MsgRegisterKey",
    schema: [f("owner", "string"), f("algorithm", "enum"), f("public_key", "bytes")],
  },
  "/medchain.records.v1.MsgCreateRecord": {
    aminoType: "medchain/x/records/MsgCreateRecord",
    schema: [
      f("creator", "string"),
      f("owner", "string"),
      f("cid", "string"),
      f("kind", "enum"),
      f("size_bytes", "u64"),
      f("sealed_label", "bytes"),
      f("derived_from", "u64"),
      wraps,
      receipt,
    ],
  },
  "/medchain.access.v1.MsgGrantAccess": {
    aminoType: "medchain/x/access/MsgGrantAccess",
    schema: [
      f("owner", "string"),
      f("grantee", "string"),
      f("record_id", "u64"),
      f("kinds", "enum", { repeated: true }),
      f("permission", "enum"),
      f("purpose", "enum"),
      f("expires_at", "time"),
      f("request_id", "u64"),
      wraps,
    ],
  },
  "/medchain.access.v1.MsgRevokeAccess": {
    aminoType: "medchain/x/access/MsgRevokeAccess",
    schema: [f("owner", "string"), f("grant_id", "u64"), f("rotations", rotation, { repeated: true, dontOmitEmpty: true })],
  },
  "/medchain.access.v1.MsgRequestAccess": {
    aminoType: "medchain/x/access/MsgRequestAccess",
    schema: [
      f("requester", "string"),
      f("owner", "string"),
      f("record_id", "u64"),
      f("kinds", "enum", { repeated: true }),
      f("permission", "enum"),
      f("purpose", "enum"),
      f("sealed_reason", "bytes"),
      f("expires_at", "time"),
    ],
  },
  "/medchain.access.v1.MsgDenyRequest": {
    aminoType: "medchain/x/access/MsgDenyRequest",
    schema: [f("owner", "string"), f("request_id", "u64")],
  },
  "/medchain.records.v1.MsgSetArchiveConsent": {
    aminoType: "medchain/x/records/MsgSetArchiveConsent",
    schema: [f("owner", "string"), f("record_id", "u64"), f("allow", "bool")],
  },
};

type Json = null | string | number | boolean | Json[] | { [k: string]: Json };
type Value = unknown;

function isEmpty(kind: Kind, v: Value): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(kind)) return false;
  switch (kind) {
    case "string":
      return v === "";
    case "u64":
      return BigInt(v as bigint) === 0n;
    case "enum":
      return v === 0;
    case "bytes":
      return (v as Uint8Array).length === 0;
    case "time":
      return false;
    case "bool":
      return v === false;
  }
}

function rfc3339(t: { seconds: bigint; nanos: number }): string {
  const iso = new Date(Number(t.seconds) * 1000).toISOString().replace(".000Z", "Z");
  if (t.nanos === 0) return iso;
  // Go's RFC3339Nano: nanoseconds without trailing zeros.
  return iso.replace("Z", "." + String(t.nanos).padStart(9, "0").replace(/0+$/, "") + "Z");
}

function parseTime(s: string): { seconds: bigint; nanos: number } {
  const m = s.match(/^(.*?)(?:\.(\d{1,9}))?Z$/);
  if (!m) throw new Error(`amino: bad timestamp ${s}`);
  const ms = Date.parse(m[1] + "Z");
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: m[2] ? Number(m[2].padEnd(9, "0")) : 0 };
}

function toJSON(kind: Kind, v: Value): Json {
  if (Array.isArray(kind)) return toAminoValue(kind, v as { [k: string]: Value });
  switch (kind) {
    case "string":
      return v as string;
    case "u64":
      return BigInt(v as bigint).toString();
    case "enum":
      return v as number;
    case "bytes":
      return toBase64(v as Uint8Array);
    case "time":
      return rfc3339(v as { seconds: bigint; nanos: number });
    case "bool":
      return v as boolean;
  }
}

function fromJSON(kind: Kind, v: Json): Value {
  if (Array.isArray(kind)) return fromAminoValue(kind, v as { [k: string]: Json });
  switch (kind) {
    case "string":
      return v as string;
    case "u64":
      return BigInt(v as string);
    case "enum":
      return Number(v);
    case "bytes":
      return fromBase64(v as string);
    case "time":
      return parseTime(v as string);
    case "bool":
      return v === true;
  }
}

function toAminoValue(schema: Schema, msg: { [k: string]: Value }): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const fd of schema) {
    const v = msg[fd.ts];
    if (fd.repeated) {
      const list = (v as Value[] | undefined) ?? [];
      if (list.length === 0) {
        // The encoder writes an empty list it must not omit as null.
        if (fd.dontOmitEmpty) out[fd.name] = null;
        continue;
      }
      out[fd.name] = list.map((x) => toJSON(fd.kind, x));
    } else if (!isEmpty(fd.kind, v)) {
      out[fd.name] = toJSON(fd.kind, v);
    }
  }
  return out;
}

function zero(fd: Field): Value {
  if (fd.repeated) return [];
  if (Array.isArray(fd.kind)) return undefined;
  return { string: "", u64: 0n, enum: 0, bytes: new Uint8Array(), time: undefined, bool: false }[fd.kind];
}

function fromAminoValue(schema: Schema, json: { [k: string]: Json }): { [k: string]: Value } {
  const out: { [k: string]: Value } = {};
  for (const fd of schema) {
    const v = json[fd.name];
    if (v === undefined || v === null) out[fd.ts] = zero(fd);
    else if (fd.repeated) out[fd.ts] = (v as Json[]).map((x) => fromJSON(fd.kind, x));
    else out[fd.ts] = fromJSON(fd.kind, v);
  }
  return out;
}

/** The converters of every message the portal sends. */
export function medchainAminoConverters(): AminoConverters {
  const out: AminoConverters = {};
  for (const [typeUrl, m] of Object.entries(messages)) {
    out[typeUrl] = {
      aminoType: m.aminoType,
      toAmino: (value: { [k: string]: Value }) => toAminoValue(m.schema, value),
      fromAmino: (json: { [k: string]: Json }) => fromAminoValue(m.schema, json),
    };
  }
  return out;
}
