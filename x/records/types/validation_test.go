package types_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/envelope/sizeclass"
	"github.com/medchain/medchain/x/records/types"
)

func TestValidateLabel(t *testing.T) {
	for label, ok := range map[string]bool{
		"":                         true,
		"knee MRI 2026":            true,
		"Röntgen Thorax":           true,
		strings.Repeat("a", 64):    true,
		strings.Repeat("a", 65):    false,
		strings.Repeat("é", 33):    false, // 66 bytes
		"two\nlines":               false,
		"tab\there":                false,
		"nul\x00":                  false,
		"bad utf-8 \xff":           false,
		"bidi override \u202e":     false,
		"zero width \u200b joiner": false,
	} {
		err := types.ValidateLabel(label, 64)
		if ok {
			require.NoError(t, err, "%q", label)
		} else {
			require.ErrorIs(t, err, types.ErrInvalidLabel, "%q", label)
		}
	}
}

func TestValidateMetadata(t *testing.T) {
	params := types.DefaultParams()
	require.NoError(t, types.ValidateMetadata(types.RecordKindGenomic, 1, nil, params))
	require.NoError(t, types.ValidateMetadata(types.RecordKindGenomic, 1088, types.FakeSealedLabel("knee"), params))
	require.ErrorIs(t, types.ValidateMetadata(types.RecordKindUnspecified, 1, nil, params), types.ErrInvalidKind)
	require.ErrorIs(t, types.ValidateMetadata(42, 1, nil, params), types.ErrInvalidKind)
	require.ErrorIs(t, types.ValidateMetadata(types.RecordKindPDF, 0, nil, params), types.ErrInvalidSize)
	require.ErrorIs(t, types.ValidateMetadata(types.RecordKindPDF, 1000, nil, params), types.ErrInvalidSize)
	require.ErrorIs(t, types.ValidateMetadata(types.RecordKindPDF, 1, []byte("knee"), params), types.ErrInvalidLabel)

	params.AllowedKinds = []types.RecordKind{types.RecordKindFHIR}
	err := types.ValidateMetadata(types.RecordKindPDF, 1, nil, params)
	require.ErrorIs(t, err, types.ErrKindNotAllowed)
	require.ErrorContains(t, err, "allowed: fhir")
}

func TestValidateWrapsShape(t *testing.T) {
	ac := addresscodec.NewBech32Codec("med")
	a, err := ac.BytesToString([]byte("a___________________"))
	require.NoError(t, err)
	b, err := ac.BytesToString([]byte("b___________________"))
	require.NoError(t, err)
	w := func(grantee string) types.KeyWrap {
		return types.KeyWrap{Grantee: grantee, KeyId: "k", Ciphertext: []byte{1}}
	}

	grantees, err := types.ValidateWrapsShape([]types.KeyWrap{w(a), w(b)}, ac)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("a___________________"), []byte("b___________________")}, grantees)

	many := make([]types.KeyWrap, types.MaxWraps+1)
	for i := range many {
		many[i] = w(a)
	}
	for name, wraps := range map[string][]types.KeyWrap{
		"none":             nil,
		"too many":         many,
		"bad grantee":      {w("cosmos1abc")},
		"duplicate":        {w(a), w(strings.ToUpper(a))},
		"empty ciphertext": {{Grantee: a}},
		"huge ciphertext":  {{Grantee: a, Ciphertext: make([]byte, types.MaxWrapCiphertextBytes+1)}},
		"long key id":      {{Grantee: a, KeyId: strings.Repeat("k", types.MaxKeyIDLength+1), Ciphertext: []byte{1}}},
	} {
		_, err := types.ValidateWrapsShape(wraps, ac)
		require.ErrorIs(t, err, types.ErrInvalidWraps, name)
	}
}

func TestParamsValidate(t *testing.T) {
	require.NoError(t, types.DefaultParams().Validate())
	require.Equal(t, uint32(64), types.DefaultParams().MaxLabelLength)
	require.Equal(t, uint32(20), types.DefaultParams().MaxRecordsPerOwnerPerBlock)
	require.Equal(t, uint32(64), types.DefaultParams().MaxVersionsPerRecord)
	require.Equal(t, types.DefaultMaxVersionsPerRecord, types.NewParams(1, 1, types.AllRecordKinds()).MaxVersionsPerRecord)
	require.Equal(t, []types.RecordKind{
		types.RecordKindDICOM, types.RecordKindFHIR, types.RecordKindPDF,
		types.RecordKindImage, types.RecordKindGenomic, types.RecordKindOther,
	}, types.DefaultParams().AllowedKinds)

	for name, p := range map[string]types.Params{
		"zero label":      types.NewParams(0, 1, types.AllRecordKinds()),
		"label over cap":  types.NewParams(types.MaxLabelLengthCap+1, 1, types.AllRecordKinds()),
		"zero spam bound": types.NewParams(1, 0, types.AllRecordKinds()),
		"no kinds":        types.NewParams(1, 1, nil),
		"bad kind":        types.NewParams(1, 1, []types.RecordKind{7}),
		"duplicate kind":  types.NewParams(1, 1, []types.RecordKind{1, 1}),
	} {
		require.ErrorIs(t, p.Validate(), types.ErrInvalidParams, name)
	}

	// 0 is not "unlimited": the error says why it is refused.
	p := types.DefaultParams()
	p.MaxVersionsPerRecord = 0
	err := p.Validate()
	require.ErrorIs(t, err, types.ErrInvalidParams)
	require.ErrorContains(t, err, "would refuse every new version")
	require.ErrorContains(t, err, "no unlimited setting")
	p.MaxVersionsPerRecord = 1
	require.NoError(t, p.Validate(), "1: records keep their first version only")
	// Nor can governance lift the bound out of reach.
	p.MaxVersionsPerRecord = types.MaxVersionsPerRecordCap
	require.NoError(t, p.Validate())
	p.MaxVersionsPerRecord = types.MaxVersionsPerRecordCap + 1
	require.ErrorContains(t, p.Validate(), "over the hard limit")
}

// Archiving is up to each owner by default; every policy but UNSPECIFIED
// (and no undefined value) may be in force, and the entries per version
// are bounded on both sides.
func TestParamsValidateArchive(t *testing.T) {
	require.Equal(t, types.ArchivePolicyConsent, types.DefaultParams().ArchivePolicy)
	require.Equal(t, uint32(8), types.DefaultParams().MaxArchiveEntriesPerVersion)
	require.Equal(t, types.ArchivePolicyConsent, types.NewParams(1, 1, types.AllRecordKinds()).ArchivePolicy)

	for _, policy := range []types.ArchivePolicy{types.ArchivePolicyNone, types.ArchivePolicyConsent, types.ArchivePolicyAll} {
		p := types.DefaultParams()
		p.ArchivePolicy = policy
		require.NoError(t, p.Validate(), policy.String())
	}
	for _, policy := range []types.ArchivePolicy{types.ArchivePolicyUnspecified, 4, -1} {
		p := types.DefaultParams()
		p.ArchivePolicy = policy
		err := p.Validate()
		require.ErrorIs(t, err, types.ErrInvalidParams, policy.String())
		require.ErrorContains(t, err, "archive_policy")
		require.ErrorContains(t, err, "ARCHIVE_POLICY_CONSENT", "the error lists the valid policies")
	}

	for n, ok := range map[uint32]bool{
		0: false, 1: true, types.DefaultMaxArchiveEntriesPerVersion: true,
		types.MaxArchiveEntriesPerVersionCap: true, types.MaxArchiveEntriesPerVersionCap + 1: false,
	} {
		p := types.DefaultParams()
		p.MaxArchiveEntriesPerVersion = n
		if ok {
			require.NoError(t, p.Validate(), "%d entries", n)
			continue
		}
		err := p.Validate()
		require.ErrorIs(t, err, types.ErrInvalidParams, "%d entries", n)
		require.ErrorContains(t, err, "max_archive_entries_per_version")
	}
}

// FuzzValidateMetadata checks that no sealed label, kind or size makes the
// metadata validation panic, and that what it accepts is a defined kind, a
// size class and a sealed label within the limit.
func FuzzValidateMetadata(f *testing.F) {
	f.Add(int32(1), uint64(1), types.FakeSealedLabel("knee MRI"))
	f.Add(int32(0), uint64(0), []byte{})
	f.Add(int32(7), uint64(1<<40), []byte("two\nlines"))
	f.Add(int32(3), uint64(1000), []byte{1, 2})
	params := types.DefaultParams()
	f.Fuzz(func(t *testing.T, kind int32, size uint64, sealed []byte) {
		err := types.ValidateMetadata(types.RecordKind(kind), size, sealed, params)
		if err != nil {
			for _, known := range []error{types.ErrInvalidKind, types.ErrKindNotAllowed, types.ErrInvalidSize, types.ErrInvalidLabel} {
				if strings.Contains(err.Error(), known.Error()) {
					return
				}
			}
			t.Fatalf("unregistered error %v", err)
		}
		if kind < 1 || kind > 6 || !sizeclass.IsClass(size) ||
			(len(sealed) > 0 && (sealed[0] != types.SealedLabelVersion || len(sealed) <= types.SealedLabelOverhead ||
				len(sealed)-types.SealedLabelOverhead > int(params.MaxLabelLength))) {
			t.Fatalf("accepted kind %d size %d sealed label %x", kind, size, sealed)
		}
	})
}

// TestSealedLabelOverheadMatchesTheClient: the chain's idea of a sealed
// label's size is the client's.
func TestSealedLabelOverheadMatchesTheClient(t *testing.T) {
	require.Equal(t, envelope.LabelOverhead, types.SealedLabelOverhead)
}
