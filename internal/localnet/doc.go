// Package localnet initialises and runs a local medchain hospital network
// described by an Ignite-style config.yml, and admits new hospitals to it
// while it runs (Join: governance, state sync, create-validator).
//
// The network is built by shelling out to the real medchaind binary (init,
// keys add, genesis add-genesis-account, gentx, collect-gentxs, validate), so
// what runs locally is exactly what a hospital operator would run. Layout
// under the network directory (default .localnet/):
//
//	.localnet/
//	  .medchain-localnet    marker: this directory belongs to the driver
//	  localnet.json         written last by Init: chain id, nodes, ports, accounts
//	  <validator>/          one node home per validator (its key in an encrypted
//	                        file keyring, passphrase in config/vault-keyring-passphrase),
//	                        the genesis ones and those Join added
//	  client/               client home: every account's key (unencrypted test
//	                        keyring, a development convenience), client.toml
//	  gentxs/               the collected genesis transactions
//	  logs/<validator>.log  stdout and stderr of each node
//
// Ports: node i (0-based, in config order) listens on 127.0.0.1 only, on
// PortBase + 10*i + offset, with offsets
//
//	+0 CometBFT P2P        +4 pprof
//	+1 CometBFT RPC        +5 vault HTTP (reserved)
//	+2 gRPC                +6 ABCI proxy_app
//	+3 REST API            +7 Prometheus
//
// (+8 and +9 are spare). The default PortBase is 27000, so the first node's
// RPC is 127.0.0.1:27001 and the fourth node's is 127.0.0.1:27031; these do
// not collide with the default single-node ports (26656/26657, 9090, 1317).
package localnet
