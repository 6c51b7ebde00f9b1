// Package moduletest holds the checks every medchain module runs on its
// wiring: that each message's signer comes from its proto annotation, that
// its amino name is registered, matches the proto option and fits a Ledger,
// and that AutoCLI gives every RPC a documented command or skips it on
// purpose.
package moduletest

import (
	"testing"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	aminoapi "cosmossdk.io/api/amino"
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	"cosmossdk.io/x/tx/signing"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
)

// Codec returns a proto codec whose interface registry holds what register
// adds, with medchain's address codecs for signer lookup.
func Codec(t testing.TB, register func(codectypes.InterfaceRegistry)) *codec.ProtoCodec {
	t.Helper()
	registry, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles: gogoproto.HybridResolver,
		SigningOptions: signing.Options{
			AddressCodec:          addresscodec.NewBech32Codec("med"),
			ValidatorAddressCodec: addresscodec.NewBech32Codec("medvaloper"),
		},
	})
	require.NoError(t, err)
	register(registry)
	return codec.NewProtoCodec(registry)
}

// Signer is a message and the one account that must sign it.
type Signer struct {
	Msg    sdk.Msg
	Signer []byte
}

// RequireSigners checks that each message's signer is found from the proto
// annotation alone (the modules define no GetSigners) and that the message
// is registered.
func RequireSigners(t *testing.T, cdc *codec.ProtoCodec, cases []Signer) {
	t.Helper()
	for _, tc := range cases {
		signers, _, err := cdc.GetMsgV1Signers(tc.Msg)
		require.NoError(t, err, "%T", tc.Msg)
		require.Equal(t, [][]byte{tc.Signer}, signers, "%T", tc.Msg)
		_, err = cdc.InterfaceRegistry().Resolve(sdk.MsgTypeURL(tc.Msg))
		require.NoError(t, err, "%T", tc.Msg)
	}
}

// RequireAminoNames checks each message's amino name: registered under it
// in the legacy codec, under 40 characters (what a Ledger accepts), and the
// same as the proto option, or amino-JSON signing by x/tx disagrees with
// the legacy codec.
func RequireAminoNames(t *testing.T, register func(*codec.LegacyAmino), names map[sdk.Msg]string) {
	t.Helper()
	legacyAmino := codec.NewLegacyAmino()
	register(legacyAmino)
	for msg, name := range names {
		bz, err := legacyAmino.MarshalJSON(msg)
		require.NoError(t, err)
		require.Contains(t, string(bz), `"type":"`+name+`"`)
		require.Less(t, len(name), 40, "Ledger rejects amino names of 40 characters or more")
		desc, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(gogoproto.MessageName(msg)))
		require.NoError(t, err)
		opt := proto.GetExtension(desc.(protoreflect.MessageDescriptor).Options(), aminoapi.E_Name)
		require.Equal(t, name, opt, gogoproto.MessageName(msg))
	}
}

// AutoCLI says which queries and transactions are skipped on purpose
// (hand-written commands) and which transactions are governance proposals.
type AutoCLI struct {
	SkippedQueries map[string]bool
	SkippedTxs     map[string]bool
	Governed       map[string]bool
}

// RequireAutoCLI checks that every RPC of the module's Query and Msg
// services has AutoCLI options, skipped exactly when want says so, and that
// every generated command has a use, a short help and a medchaind example;
// governance transactions are proposals whose example shows --title and
// --deposit.
func RequireAutoCLI(t *testing.T, opts *autocliv1.ModuleOptions, want AutoCLI) {
	t.Helper()
	for _, svc := range []*autocliv1.ServiceCommandDescriptor{opts.Query, opts.Tx} {
		named := map[string]bool{}
		for _, o := range svc.RpcCommandOptions {
			named[o.RpcMethod] = true
		}
		desc, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(svc.Service))
		require.NoError(t, err, svc.Service)
		methods := desc.(protoreflect.ServiceDescriptor).Methods()
		for i := 0; i < methods.Len(); i++ {
			require.True(t, named[string(methods.Get(i).Name())], "%s.%s has no AutoCLI options", svc.Service, methods.Get(i).Name())
		}
	}
	for _, svc := range []struct {
		opts    []*autocliv1.RpcCommandOptions
		skipped map[string]bool
	}{{opts.Query.RpcCommandOptions, want.SkippedQueries}, {opts.Tx.RpcCommandOptions, want.SkippedTxs}} {
		for _, o := range svc.opts {
			require.Equal(t, svc.skipped[o.RpcMethod], o.Skip, "%s: skipped", o.RpcMethod)
			if o.Skip {
				continue
			}
			require.NotEmpty(t, o.Use, o.RpcMethod)
			require.NotEmpty(t, o.Short, o.RpcMethod)
			require.Contains(t, o.Example, "medchaind ", o.RpcMethod)
		}
	}
	for _, o := range opts.Tx.RpcCommandOptions {
		if o.Skip {
			continue
		}
		require.Equal(t, want.Governed[o.RpcMethod], o.GovProposal, "%s: governance proposal", o.RpcMethod)
		if o.GovProposal {
			require.Contains(t, o.Example, "--title", o.RpcMethod)
			require.Contains(t, o.Example, "--deposit", o.RpcMethod)
		}
	}
}

// Accounts are the two signers the checks use: a user and the governance
// module account (the modules' authority).
type Accounts struct {
	User         []byte
	UserAddr     string
	Gov          []byte
	GovAuthority string
}

// NewAccounts returns the user and governance accounts, with their bech32
// addresses.
func NewAccounts(t testing.TB) Accounts {
	t.Helper()
	ac := addresscodec.NewBech32Codec("med")
	a := Accounts{User: []byte("user________________"), Gov: authtypes.NewModuleAddress(govtypes.ModuleName)}
	var err error
	a.UserAddr, err = ac.BytesToString(a.User)
	require.NoError(t, err)
	a.GovAuthority, err = ac.BytesToString(a.Gov)
	require.NoError(t, err)
	return a
}
