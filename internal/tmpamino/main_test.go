package tmpamino

import (
	"fmt"
	"testing"

	"cosmossdk.io/x/tx/signing/aminojson"
	gogoproto "github.com/cosmos/gogoproto/proto"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

func TestPrint(t *testing.T) {
	files, err := gogoproto.MergedRegistry()
	if err != nil {
		t.Fatal(err)
	}
	enc := aminojson.NewEncoder(aminojson.EncoderOptions{FileResolver: files})
	msg := &recordstypes.MsgCreateRecord{Creator: "med1a", Owner: "med1a", Cid: "bafk", Kind: 1, SizeBytes: 4096,
		SealedLabel: []byte{1, 2, 3}, Wraps: []recordstypes.KeyWrap{{Grantee: "med1a", KeyId: "abcd", Ciphertext: []byte{9, 8}}}}
	bz, _ := msg.Marshal()
	desc, err := files.FindDescriptorByName("medchain.records.v1.MsgCreateRecord")
	if err != nil {
		t.Fatal(err)
	}
	dyn := dynamicpb.NewMessage(desc.(protoreflect.MessageDescriptor))
	if err := protov2.Unmarshal(bz, dyn); err != nil {
		t.Fatal(err)
	}
	out, err := enc.Marshal(dyn)
	fmt.Println(string(out), err)
}
