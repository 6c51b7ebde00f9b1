package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

type msgKind int

const (
	kindRegister msgKind = iota
	kindCreate
	kindSend
	kindGrant
	kindFund
	numKinds
)

var kindNames = [numKinds]string{"MsgRegisterEncryptionKey", "MsgCreateRecord", "MsgSend", "MsgGrantAccess", "MsgMultiSend (funding)"}

func (k msgKind) String() string { return kindNames[k] }

type kindStats struct {
	broadcast     int // accepted by CheckTx
	checkFailed   int
	ok            int
	deliverFailed int
	msgs          int // messages in the committed txs
	lat           []time.Duration
	gasUsed       int64
}

type failure struct {
	count  int
	sample string
}

// blockStat is one block that held transactions of a phase.
type blockStat struct {
	height int64
	time   time.Time
	txs    int
	byKind [numKinds]int
}

// phaseStats collects the figures of one phase of the run (probe, prefill,
// load).
type phaseStats struct {
	name string

	mu             sync.Mutex
	kinds          [numKinds]kindStats
	failures       map[string]*failure
	blocks         map[int64]*blockStat
	wrapCollisions int
	msgsPerTx      [numKinds]int
}

func newPhase(name string) *phaseStats {
	return &phaseStats{name: name, failures: map[string]*failure{}, blocks: map[int64]*blockStat{}}
}

func (s *phaseStats) broadcastOK(k msgKind) {
	s.mu.Lock()
	s.kinds[k].broadcast++
	s.mu.Unlock()
}

// fail counts a refused transaction (stage "check" for CheckTx/RPC, "deliver" in its block).
func (s *phaseStats) fail(k msgKind, stage, codespace string, code uint32, log string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stage == "check" {
		s.kinds[k].checkFailed++
	}
	if strings.Contains(log, "invalid key wraps") {
		s.wrapCollisions++
	}
	key := fmt.Sprintf("%s, %s, %s/%d: %s", k, stage, codespace, code, shortReason(log))
	if code == 0 {
		key = fmt.Sprintf("%s, %s: %s", k, stage, firstN(log, 120))
	}
	f := s.failures[key]
	if f == nil {
		f = &failure{sample: firstN(log, 300)}
		s.failures[key] = f
	}
	f.count++
}

func (s *phaseStats) committed(p *pending, c committed) {
	s.mu.Lock()
	ks := &s.kinds[p.kind]
	if c.code == 0 {
		ks.ok++
	} else {
		ks.deliverFailed++
	}
	ks.gasUsed += c.gasUsed
	lat := c.seenAt.Sub(p.sentAt)
	if lat < 0 || p.sentAt.IsZero() {
		lat = 0
	}
	ks.lat = append(ks.lat, lat)
	b := s.blocks[c.height]
	if b == nil {
		b = &blockStat{height: c.height, time: c.blockTime}
		s.blocks[c.height] = b
	}
	b.txs++
	b.byKind[p.kind]++
	s.mu.Unlock()
	if c.code != 0 {
		s.fail(p.kind, "deliver", c.codespace, c.code, c.log)
	}
}

func (s *phaseStats) sortedBlocks() []*blockStat {
	out := make([]*blockStat, 0, len(s.blocks))
	for _, b := range s.blocks {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].height < out[j].height })
	return out
}

// rate is the committed tx/s of the transactions counted by n in blocks:
// their number over the header time from the block before the first block
// holding one (its transactions arrived after that block) to the last one.
// When that block's time is unknown, the first block's own transactions
// are left out and the interval starts at the first block.
func rate(blocks []*blockStat, prevTime func(int64) (time.Time, bool), n func(*blockStat) int) (txs int, perSec float64, first, last *blockStat) {
	for _, b := range blocks {
		if n(b) == 0 {
			continue
		}
		txs += n(b)
		if first == nil {
			first = b
		}
		last = b
	}
	if first == nil {
		return 0, 0, nil, nil
	}
	if t0, ok := prevTime(first.height - 1); ok {
		if dt := last.time.Sub(t0).Seconds(); dt > 0 {
			return txs, float64(txs) / dt, first, last
		}
	}
	if dt := last.time.Sub(first.time).Seconds(); dt > 0 {
		return txs, float64(txs-n(first)) / dt, first, last
	}
	return txs, 0, first, last
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return s[i]
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
