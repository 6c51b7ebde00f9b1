// The chain side of the portal: wallets, queries over CometBFT RPC (through
// the portal's forwarder), and signing and broadcasting with CosmJS and the
// TypeScript client generated from proto/ (src/gen).

import { Secp256k1HdWallet, serializeSignDoc, StdSignDoc } from "@cosmjs/amino";
import { fromBase64, fromUtf8 } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet, EncodeObject, GeneratedType, OfflineSigner, Registry } from "@cosmjs/proto-signing";
import {
  AminoTypes,
  createDefaultAminoConverters,
  createProtobufRpcClient,
  defaultRegistryTypes,
  DeliverTxResponse,
  GasPrice,
  QueryClient,
  SigningStargateClient,
} from "@cosmjs/stargate";
import { Comet38Client } from "@cosmjs/tendermint-rpc";

import * as accessQuery from "./gen/medchain/access/v1/query";
import * as accessTx from "./gen/medchain/access/v1/tx";
import * as issuersQuery from "./gen/medchain/issuers/v1/query";
import * as recordsQuery from "./gen/medchain/records/v1/query";
import * as recordsTx from "./gen/medchain/records/v1/tx";
import { medchainAminoConverters } from "./amino";
import type { DocSigner } from "./wasm";

export interface PortalConfig {
  chain_id: string;
  rpc: string;
  gas_price: string;
  denom: string;
  bech32_prefix: string;
  vault: string;
  public_rpc: string;
  rest?: string;
  wasm: boolean;
}

/** The medchain messages the portal signs, by type URL. */
const medchainTypes: ReadonlyArray<[string, GeneratedType]> = [
  ["/medchain.records.v1.MsgCreateRecord", recordsTx.MsgCreateRecord],
  ["/medchain.records.v1.MsgAddVersion", recordsTx.MsgAddVersion],
  ["/medchain.access.v1.MsgRegisterEncryptionKey", accessTx.MsgRegisterEncryptionKey],
  ["/medchain.access.v1.MsgGrantAccess", accessTx.MsgGrantAccess],
  ["/medchain.access.v1.MsgRevokeAccess", accessTx.MsgRevokeAccess],
  ["/medchain.access.v1.MsgRequestAccess", accessTx.MsgRequestAccess],
  ["/medchain.access.v1.MsgDenyRequest", accessTx.MsgDenyRequest],
  ["/medchain.records.v1.MsgSetArchiveConsent", recordsTx.MsgSetArchiveConsent],
];

export function registry(): Registry {
  return new Registry([...defaultRegistryTypes, ...medchainTypes]);
}

/** A signed-in account: its address and two views of one mnemonic. */
export interface Account {
  address: string;
  /** Signs transactions: the page's wallet, or Keplr's. */
  signer: OfflineSigner;
  /** Signs ADR-036 documents: key derivation and vault tickets. */
  signDoc: DocSigner;
}

/**
 * Opens a mnemonic held only in this page (development and tests). With
 * amino, transactions are signed in amino-JSON, as a Ledger signs.
 */
export async function accountFromMnemonic(mnemonic: string, prefix: string, amino = false): Promise<Account> {
  const words = mnemonic.trim().split(/\s+/).join(" ");
  const aminoWallet = await Secp256k1HdWallet.fromMnemonic(words, { prefix });
  const direct = await DirectSecp256k1HdWallet.fromMnemonic(words, { prefix });
  const [acc] = await aminoWallet.getAccounts();
  const signDoc: DocSigner = async (doc: Uint8Array) => {
    const parsed = JSON.parse(fromUtf8(doc)) as StdSignDoc;
    // CosmJS re-serializes the document; it must be byte for byte what Go
    // wrote, or the signature (and the key derived from it) would differ.
    const again = serializeSignDoc(parsed);
    if (again.length !== doc.length || again.some((b, i) => b !== doc[i])) {
      throw new Error("the sign document does not serialize canonically");
    }
    const res = await aminoWallet.signAmino(acc.address, parsed);
    return { signature: fromBase64(res.signature.signature), pubKey: fromBase64(res.signature.pub_key.value) };
  };
  return { address: acc.address, signer: amino ? aminoWallet : direct, signDoc };
}

/** The part of Keplr's injected API the portal uses. */
interface Keplr {
  experimentalSuggestChain(info: object): Promise<void>;
  enable(chainId: string): Promise<void>;
  getKey(chainId: string): Promise<{ bech32Address: string; isNanoLedger: boolean }>;
  getOfflineSigner(chainId: string): OfflineSigner;
  getOfflineSignerOnlyAmino(chainId: string): OfflineSigner;
  signArbitrary(chainId: string, signer: string, data: Uint8Array): Promise<{ signature: string; pub_key: { value: string } }>;
}

export function keplr(): Keplr | undefined {
  return (globalThis as unknown as { keplr?: Keplr }).keplr;
}

/**
 * Signs in with Keplr: suggests the chain (from the node's chain.json),
 * signs transactions in Keplr (direct), and derives the encryption key
 * with signArbitrary, which signs the same ADR-036 document the CLI does,
 * so the key is the one `medchaind keys encryption-key` shows.
 */
export async function accountFromKeplr(config: PortalConfig): Promise<Account> {
  const k = keplr();
  if (!k) throw new Error("Keplr is not installed in this browser");
  const { display, exponent } = displayDenom(config.denom);
  const currency = { coinDenom: display.toUpperCase(), coinMinimalDenom: config.denom, coinDecimals: exponent };
  const price = parseFloat(config.gas_price) || 0;
  const prefix = config.bech32_prefix;
  await k.experimentalSuggestChain({
    chainId: config.chain_id,
    chainName: `medchain (${config.chain_id})`,
    rpc: config.public_rpc,
    rest: config.rest ?? "",
    bip44: { coinType: 118 },
    bech32Config: {
      bech32PrefixAccAddr: prefix,
      bech32PrefixAccPub: prefix + "pub",
      bech32PrefixValAddr: prefix + "valoper",
      bech32PrefixValPub: prefix + "valoperpub",
      bech32PrefixConsAddr: prefix + "valcons",
      bech32PrefixConsPub: prefix + "valconspub",
    },
    currencies: [currency],
    feeCurrencies: [{ ...currency, gasPriceStep: { low: price, average: price, high: Math.max(price, 0.025) } }],
    stakeCurrency: currency,
    features: [],
  });
  await k.enable(config.chain_id);
  const key = await k.getKey(config.chain_id);
  const address = key.bech32Address;
  const signDoc: DocSigner = async (doc: Uint8Array) => {
    const parsed = JSON.parse(fromUtf8(doc)) as StdSignDoc;
    const data = fromBase64((parsed.msgs[0].value as { data: string }).data);
    const res = await k.signArbitrary(config.chain_id, address, data);
    return { signature: fromBase64(res.signature), pubKey: fromBase64(res.pub_key.value) };
  };
  // A Ledger signs amino-JSON only.
  const signer = key.isNanoLedger ? k.getOfflineSignerOnlyAmino(config.chain_id) : k.getOfflineSigner(config.chain_id);
  return { address, signer, signDoc };
}

/** The denom a person reads: "umed" is "med" with 6 decimals. */
export function displayDenom(base: string): { display: string; exponent: number } {
  return base.startsWith("u") && base.length > 1 ? { display: base.slice(1), exponent: 6 } : { display: base, exponent: 0 };
}

export class Chain {
  readonly comet: Comet38Client;
  readonly access: accessQuery.QueryClientImpl;
  readonly records: recordsQuery.QueryClientImpl;
  readonly issuers: issuersQuery.QueryClientImpl;

  private constructor(readonly config: PortalConfig, comet: Comet38Client) {
    this.comet = comet;
    const rpc = createProtobufRpcClient(new QueryClient(comet));
    this.access = new accessQuery.QueryClientImpl(rpc);
    this.records = new recordsQuery.QueryClientImpl(rpc);
    this.issuers = new issuersQuery.QueryClientImpl(rpc);
  }

  static async connect(config: PortalConfig): Promise<Chain> {
    const url = new URL(config.rpc, location.href).toString();
    return new Chain(config, await Comet38Client.connect(url));
  }

  /** The latest block time: what decides whether a grant is live. */
  async time(): Promise<Date> {
    const st = await this.comet.status();
    return new Date(st.syncInfo.latestBlockTime.getTime());
  }

  signer(account: Account): SigningStargateClient {
    return SigningStargateClient.createWithSigner(this.comet, account.signer, {
      registry: registry(),
      aminoTypes: new AminoTypes({ ...createDefaultAminoConverters(), ...medchainAminoConverters() }),
      gasPrice: GasPrice.fromString(this.config.gas_price || "0" + this.config.denom),
      broadcastPollIntervalMs: 500,
      broadcastTimeoutMs: 60_000,
    });
  }

  /**
   * Asks the chain, in simulation, whether it would accept msgs: a refusal
   * becomes an Error that starts with context.
   */
  async preflight(account: Account, msgs: EncodeObject[], context: string): Promise<void> {
    try {
      await this.signer(account).simulate(account.address, msgs, "");
    } catch (e) {
      throw new Error(`${context}: ${explain(e)}`);
    }
  }

  /**
   * Simulates, signs and broadcasts msgs and waits for the block; a
   * refusal becomes an Error that says what the chain said (through wrap,
   * when given).
   */
  async send(account: Account, msgs: EncodeObject[], memo = "", wrap?: (e: string) => string): Promise<DeliverTxResponse> {
    const client = this.signer(account);
    let res: DeliverTxResponse;
    try {
      res = await client.signAndBroadcast(account.address, msgs, 1.5, memo);
    } catch (e) {
      throw new Error(wrap ? wrap(explain(e)) : explain(e));
    }
    if (res.code !== 0) {
      const why = `the chain refused the transaction (code ${res.code}): ${res.rawLog ?? ""}`;
      throw new Error(wrap ? wrap(why) : why);
    }
    return res;
  }
}

/** Turns a CosmJS or chain error into a sentence for the page. */
export function explain(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/insufficient fee/i.test(msg)) return "insufficient fees: " + msg;
  if (/account .* not found|does not exist on chain/i.test(msg)) {
    return "this account has no tokens yet, so it cannot pay for transactions (ask the hospital to fund it): " + msg;
  }
  if (/Failed to fetch|NetworkError|fetch failed/i.test(msg)) return "the node does not answer: " + msg;
  const m = msg.match(/message index: \d+: (.*?)(?:: \[|$)/);
  if (m) return m[1];
  return msg;
}
