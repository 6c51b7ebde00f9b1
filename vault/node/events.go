package node

import (
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Action is what one chain event asks of a vault.
type Action struct {
	Pin      bool   // pin CID, else release it
	CID      string // canonical CIDv1
	RecordID uint64 // the record that pins or releases it: only it may release its pin
	Version  uint64 // for a pin: the record version whose payload CID is
}

// Actions decodes the x/records events of a block (typed events, as the
// keeper emits them) into pin and unpin actions, in order. Other events
// are ignored; a records event that does not decode is an error, since
// skipping it could lose a pin.
func Actions(events []abci.Event) ([]Action, error) {
	var out []Action
	for _, ev := range events {
		switch ev.Type {
		case typeCreated, typeVersion, typeRedacted, typeRotated:
		default:
			continue
		}
		msg, err := sdk.ParseTypedEvent(ev)
		if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", ev.Type, err)
		}
		switch e := msg.(type) {
		case *recordstypes.EventRecordCreated:
			out = append(out, Action{Pin: true, CID: e.Cid, RecordID: e.RecordId, Version: 1})
		case *recordstypes.EventVersionAdded:
			out = append(out, Action{Pin: true, CID: e.Cid, RecordID: e.RecordId, Version: e.Version})
		case *recordstypes.EventKeyRotated:
			out = append(out, Action{Pin: true, CID: e.Cid, RecordID: e.RecordId, Version: e.Version})
			for _, c := range e.ReleasedCids {
				out = append(out, Action{CID: c, RecordID: e.RecordId})
			}
		case *recordstypes.EventRecordRedacted:
			for _, c := range e.Cids {
				out = append(out, Action{CID: c, RecordID: e.RecordId})
			}
		}
	}
	return out, nil
}

var (
	typeCreated  = sdk.MsgTypeURL(&recordstypes.EventRecordCreated{})[1:]
	typeVersion  = sdk.MsgTypeURL(&recordstypes.EventVersionAdded{})[1:]
	typeRedacted = sdk.MsgTypeURL(&recordstypes.EventRecordRedacted{})[1:]
	typeRotated  = sdk.MsgTypeURL(&recordstypes.EventKeyRotated{})[1:]
)
