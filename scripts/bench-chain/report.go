package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

type kindReport struct {
	Broadcast     int     `json:"broadcast"`
	CheckFailed   int     `json:"check_failed"`
	OK            int     `json:"committed_ok"`
	DeliverFailed int     `json:"deliver_failed"`
	TxPerSec      float64 `json:"tx_per_sec"`
	Blocks        int     `json:"blocks"`
	P50Ms         float64 `json:"latency_p50_ms"`
	P99Ms         float64 `json:"latency_p99_ms"`
	MeanGas       float64 `json:"gas_used_mean"`
}

type failureReport struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
	Sample string `json:"sample"`
}

type stateReport struct {
	BeforeBytes    int64   `json:"application_db_before_bytes"`
	AfterBytes     int64   `json:"application_db_after_bytes"`
	Records        int     `json:"records"`
	BytesPerRecord float64 `json:"bytes_per_record_approx"`
}

type checkReport struct {
	Queries     int     `json:"queries"`
	QPS         float64 `json:"qps"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	Allowed     int     `json:"allowed"`
	Errors      int     `json:"errors"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	Error       string  `json:"error,omitempty"`
	ErrorSample string  `json:"error_sample,omitempty"`
}

type prefillReport struct {
	Requested int             `json:"requested"`
	Records   int             `json:"records"`
	Seconds   float64         `json:"seconds"`
	Failures  []failureReport `json:"failures,omitempty"`
}

type report struct {
	Mode           string                 `json:"mode"`
	ChainID        string                 `json:"chain_id"`
	Uploaders      int                    `json:"uploaders"`
	Nodes          int                    `json:"nodes"`
	Presigned      bool                   `json:"presigned"`
	Plan           string                 `json:"plan"`
	Prefill        *prefillReport         `json:"prefill,omitempty"`
	WallSeconds    float64                `json:"wall_seconds"`
	TimedOut       bool                   `json:"timed_out"`
	InFlightAtEnd  int                    `json:"in_flight_at_end"`
	Committed      int                    `json:"committed_txs"`
	TxPerSec       float64                `json:"tx_per_sec"`
	ChainSeconds   float64                `json:"chain_seconds"`
	BlockCount     int                    `json:"blocks"`
	TxsPerBlockAvg float64                `json:"txs_per_block_mean"`
	TxsPerBlockMax int                    `json:"txs_per_block_max"`
	FirstHeight    int64                  `json:"first_height"`
	LastHeight     int64                  `json:"last_height"`
	Kinds          map[string]*kindReport `json:"by_type"`
	CreateSendRate float64                `json:"create_per_send_tps_ratio"`
	WrapCollisions int                    `json:"wrap_collisions"`
	GrantsSkipped  int                    `json:"grants_skipped"`
	Failures       []failureReport        `json:"failures"`
	State          *stateReport           `json:"state,omitempty"`
	Check          *checkReport           `json:"check_access,omitempty"`
	CPUProfile     string                 `json:"cpu_profile,omitempty"`
}

// fill computes the load's figures from its blocks.
func (r *report) fill(s *phaseStats, prevTime func(int64) (time.Time, bool)) {
	s.mu.Lock()
	blocks := s.sortedBlocks()
	r.Kinds = map[string]*kindReport{}
	txs, tps, first, last := rate(blocks, prevTime, func(b *blockStat) int { return b.txs })
	r.Committed, r.TxPerSec = txs, tps
	if first != nil {
		r.FirstHeight, r.LastHeight = first.height, last.height
		r.ChainSeconds = last.time.Sub(first.time).Seconds()
		if t0, ok := prevTime(first.height - 1); ok {
			r.ChainSeconds = last.time.Sub(t0).Seconds()
		}
	}
	r.BlockCount = len(blocks)
	if last != nil {
		r.BlockCount = int(last.height - first.height + 1)
	}
	for _, b := range blocks {
		if b.txs > r.TxsPerBlockMax {
			r.TxsPerBlockMax = b.txs
		}
	}
	if r.BlockCount > 0 {
		r.TxsPerBlockAvg = float64(txs) / float64(r.BlockCount)
	}
	for k := msgKind(0); k < numKinds; k++ {
		ks := s.kinds[k]
		if ks.broadcast == 0 && ks.checkFailed == 0 {
			continue
		}
		kr := &kindReport{Broadcast: ks.broadcast, CheckFailed: ks.checkFailed, OK: ks.ok, DeliverFailed: ks.deliverFailed,
			P50Ms: msf(percentile(ks.lat, 0.5)), P99Ms: msf(percentile(ks.lat, 0.99))}
		n := ks.ok + ks.deliverFailed
		if n > 0 {
			kr.MeanGas = float64(ks.gasUsed) / float64(n)
		}
		_, kr.TxPerSec, _, _ = rate(blocks, prevTime, func(b *blockStat) int { return b.byKind[k] })
		for _, b := range blocks {
			if b.byKind[k] > 0 {
				kr.Blocks++
			}
		}
		r.Kinds[k.String()] = kr
	}
	r.WrapCollisions = s.wrapCollisions
	s.mu.Unlock()
	if c, ok := r.Kinds[kindCreate.String()]; ok {
		if snd, ok := r.Kinds[kindSend.String()]; ok && snd.TxPerSec > 0 {
			r.CreateSendRate = c.TxPerSec / snd.TxPerSec
		}
	}
	r.Failures = failureList(s)
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\n## medchain chain benchmark (%s mode, chain %s)\n\n", r.Mode, r.ChainID)
	fmt.Fprintf(w, "%d uploaders over %d node(s), %s%s; load wall time %.1f s%s.\n", r.Uploaders, r.Nodes, r.Plan,
		map[bool]string{true: ", pre-signed", false: ""}[r.Presigned], r.WallSeconds,
		map[bool]string{true: " (stopped at the -duration cap)", false: ""}[r.TimedOut])
	if r.Prefill != nil {
		fmt.Fprintf(w, "Prefill: %d records on chain (of %d asked) in %.1f s before the measured run.\n", r.Prefill.Records, r.Prefill.Requested, r.Prefill.Seconds)
	}
	fmt.Fprintf(w, "\nCommitted: %d txs in blocks %d..%d (%d blocks, %.1f s of block time): **%.1f tx/s**; txs per block mean %.1f, max %d.\n",
		r.Committed, r.FirstHeight, r.LastHeight, r.BlockCount, r.ChainSeconds, r.TxPerSec, r.TxsPerBlockAvg, r.TxsPerBlockMax)
	fmt.Fprintf(w, "\n| message | broadcast | CheckTx failed | committed ok | failed in block | tx/s | blocks | latency p50 | latency p99 | gas used (mean) |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for k := msgKind(0); k < numKinds; k++ {
		kr, ok := r.Kinds[k.String()]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %.1f | %d | %.0f ms | %.0f ms | %.0f |\n", k, kr.Broadcast, kr.CheckFailed, kr.OK,
			kr.DeliverFailed, kr.TxPerSec, kr.Blocks, kr.P50Ms, kr.P99Ms, kr.MeanGas)
	}
	fmt.Fprintf(w, "\nMsgCreateRecord tx/s ÷ MsgSend tx/s: **%.2f**. Wrap collisions (\"invalid key wraps\"): **%d**.", r.CreateSendRate, r.WrapCollisions)
	if r.GrantsSkipped > 0 {
		fmt.Fprintf(w, " Grants skipped (no committed record or registered grantee within 60 s): %d.", r.GrantsSkipped)
	}
	if r.InFlightAtEnd > 0 {
		fmt.Fprintf(w, " Still uncommitted at the end: %d.", r.InFlightAtEnd)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "\ntx/s: committed transactions over block header time, from the block before the first one holding them to the last one holding them; per type over that type's own blocks. Latency: from broadcast_tx_sync's return to the client seeing the block committed (NewBlockHeader event).")
	if len(r.Failures) > 0 {
		fmt.Fprintf(w, "\n| failure (message, stage, codespace/code: reason) | count | example log |\n|---|---:|---|\n")
		for _, f := range r.Failures {
			fmt.Fprintf(w, "| %s | %d | %s |\n", strings.ReplaceAll(f.Reason, "|", "/"), f.Count,
				strings.ReplaceAll(firstN(f.Sample, 160), "|", "/"))
		}
	} else {
		fmt.Fprintln(w, "\nNo failures.")
	}
	if r.State != nil {
		fmt.Fprintf(w, "\nState growth (approximate: on-disk size of data/application.db, compaction and IAVL versions included): %d → %d bytes for %d new records ≈ **%.0f bytes/record** (sends and grants of the same run included).\n",
			r.State.BeforeBytes, r.State.AfterBytes, r.State.Records, r.State.BytesPerRecord)
	}
	if c := r.Check; c != nil {
		if c.Error != "" {
			fmt.Fprintf(w, "\nCheckAccess: %s\n", c.Error)
		} else {
			fmt.Fprintf(w, "\nCheckAccess over gRPC (%d callers, %.0f s): **%.0f q/s**, p50 %.2f ms, p99 %.2f ms (%d queries, %d allowed, %d errors%s).\n",
				c.Concurrency, c.Seconds, c.QPS, c.P50Ms, c.P99Ms, c.Queries, c.Allowed, c.Errors, prefixed(": e.g. ", c.ErrorSample))
		}
	}
	if r.CPUProfile != "" {
		fmt.Fprintf(w, "\nCPU profile of the node: %s (go tool pprof -top build/medchaind %s)\n", r.CPUProfile, r.CPUProfile)
	}
	bz, _ := json.Marshal(r)
	fmt.Fprintf(w, "\nJSON %s\n", bz)
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}
