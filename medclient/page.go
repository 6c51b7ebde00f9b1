package medclient

import "github.com/cosmos/cosmos-sdk/types/query"

// EachPage calls fetch with successive key-based pages until the answer has
// no next key, so a listing is complete however long it is.
func EachPage(fetch func(*query.PageRequest) (*query.PageResponse, error)) error {
	const pageSize = 200
	page := &query.PageRequest{Limit: pageSize}
	for {
		resp, err := fetch(page)
		if err != nil {
			return err
		}
		if resp == nil || len(resp.NextKey) == 0 {
			return nil
		}
		page = &query.PageRequest{Key: resp.NextKey, Limit: pageSize}
	}
}
