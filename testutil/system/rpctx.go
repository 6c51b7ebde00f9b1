package system

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CommittedTx asks the CometBFT RPC at rpcAddr (tcp://host:port or
// http://host:port) for transaction hash. found is false while the
// transaction is in no block; code and log are its result (the log is the
// raw log `medchaind query tx` prints). Tests poll with it instead of
// `medchaind query tx`: a poll costs an HTTP request, not the start of a
// medchaind process, which on a 2-core machine running several nodes is
// most of a test's time.
func CommittedTx(ctx context.Context, rpcAddr, hash string) (found bool, code int, log string, height int64, err error) {
	base := strings.Replace(strings.TrimRight(rpcAddr, "/"), "tcp://", "http://", 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/tx?hash=0x"+hash, nil)
	if err != nil {
		return false, 0, "", 0, err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return false, 0, "", 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return false, 0, "", 0, err
	}
	var out struct {
		Result *struct {
			Height   string `json:"height"`
			TxResult struct {
				Code int    `json:"code"`
				Log  string `json:"log"`
			} `json:"tx_result"`
		} `json:"result"`
		Error *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return false, 0, "", 0, fmt.Errorf("RPC /tx answered %q: %w", body, err)
	}
	if out.Error != nil {
		if strings.Contains(out.Error.Data, "not found") {
			return false, 0, "", 0, nil
		}
		return false, 0, "", 0, fmt.Errorf("RPC /tx: %s: %s", out.Error.Message, out.Error.Data)
	}
	if out.Result == nil {
		return false, 0, "", 0, fmt.Errorf("RPC /tx answered %q", body)
	}
	h, err := strconv.ParseInt(out.Result.Height, 10, 64)
	if err != nil {
		return false, 0, "", 0, fmt.Errorf("RPC /tx: height %q: %w", out.Result.Height, err)
	}
	return true, out.Result.TxResult.Code, out.Result.TxResult.Log, h, nil
}
