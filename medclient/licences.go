package medclient

import (
	"context"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/envelope"
	datanfttypes "github.com/medchain/medchain/x/datanft/types"
)

// PendingLicences lists the licences waiting for owner to fulfil them
// (only licence only, when it is not 0).
func PendingLicences(ctx context.Context, clientCtx client.Context, owner string, only uint64) ([]datanfttypes.Licence, error) {
	qc := datanfttypes.NewQueryClient(clientCtx)
	var pending []datanfttypes.Licence
	err := EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
		resp, err := qc.PendingLicences(ctx, &datanfttypes.QueryPendingLicencesRequest{Owner: owner, Pagination: page})
		if err != nil {
			return nil, err
		}
		for _, l := range resp.Licences {
			if only == 0 || l.Id == only {
				pending = append(pending, l)
			}
		}
		return resp.Pagination, nil
	})
	return pending, err
}

// BuildFulfilLicence fulfils licence l of owner's record: the record key,
// opened with kp (the owner's key pair), sealed to the buyer's current
// encryption key, which the chain turns into a READ grant.
func BuildFulfilLicence(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, owner string, l datanfttypes.Licence) (*datanfttypes.MsgFulfilLicence, error) {
	key, epoch, err := OpenRecordKey(ctx, clientCtx, kp, l.RecordId, owner)
	if err != nil {
		return nil, err
	}
	buyerKey, err := EncryptionKeyOf(ctx, clientCtx, l.Buyer)
	if err != nil {
		return nil, err
	}
	wrap, err := SealRecordKey(epoch, buyerKey, key.Bytes())
	if err != nil {
		return nil, err
	}
	return &datanfttypes.MsgFulfilLicence{Owner: owner, LicenceId: l.Id, Wrap: wrap}, nil
}
