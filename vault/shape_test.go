package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/go-cid"
	format "github.com/ipfs/go-ipld-format"
)

// fileNode is a dag-pb UnixFS file node linking to children.
func fileNode(t testing.TB, children []carBlock, sizes []uint64) carBlock {
	t.Helper()
	fsn := unixfs.NewFSNode(unixfs.TFile)
	for _, s := range sizes {
		fsn.AddBlockSize(s)
	}
	data, err := fsn.GetBytes()
	if err != nil {
		t.Fatal(err)
	}
	nd := merkledag.NodeWithData(data)
	nd.SetCidBuilder(cidBuilder)
	for i, c := range children {
		if err := nd.AddRawLink(fmt.Sprint(i), &format.Link{Cid: c.c, Size: uint64(len(c.data))}); err != nil {
			t.Fatal(err)
		}
	}
	return carBlock{nd.Cid(), nd.RawData()}
}

func rawBlock(t testing.TB, data []byte) carBlock {
	t.Helper()
	c, err := cid.V1Builder{Codec: cid.Raw, MhType: 0x12}.Sum(data)
	if err != nil {
		t.Fatal(err)
	}
	return carBlock{c, data}
}

// tinyLeavesCAR is the attack of many one-byte raw leaves under one root.
func tinyLeavesCAR(t testing.TB, n int) []byte {
	t.Helper()
	var leaves []carBlock
	var sizes []uint64
	for i := range n {
		leaves = append(leaves, rawBlock(t, []byte(fmt.Sprintf("%08d", i))))
		sizes = append(sizes, 8)
	}
	var nodes []carBlock
	for len(leaves) > 0 { // 174 leaves per node, as the importer would
		k := min(174, len(leaves))
		nodes = append(nodes, fileNode(t, leaves[:k], sizes[:k]))
		leaves, sizes = leaves[k:], sizes[k:]
	}
	root := fileNode(t, nodes, nil)
	var all []carBlock
	all = append(all, root)
	all = append(all, nodes...)
	for i := range n {
		all = append(all, rawBlock(t, []byte(fmt.Sprintf("%08d", i))))
	}
	return rawCAR(t, []cid.Cid{root.c}, all)
}

// TestUploadShapeLimits: the hostile DAGs a file importer never makes are
// refused as they stream in, with 400 dag_shape and nothing left behind:
// many tiny leaves, a node with too many links, a DAG too deep, and more
// blocks than the upload's size allows.
func TestUploadShapeLimits(t *testing.T) {
	s := openStore(t)
	srv := httptest.NewServer(NewServer(s, Config{MaxUploadBytes: 64 << 20}))
	defer srv.Close()
	post := func(body []byte) (int, string) {
		resp, err := http.Post(srv.URL+"/api/v1/upload", MediaTypeCAR, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(msg)
	}

	status, msg := post(tinyLeavesCAR(t, 5000))
	if status != http.StatusBadRequest || !bytes.Contains([]byte(msg), []byte("every leaf but the last")) {
		t.Fatalf("5000 one-byte leaves: %d %s", status, msg)
	}

	wide := make([]carBlock, MaxLinks+1)
	sizes := make([]uint64, len(wide))
	big := rawBlock(t, randomBytes(3, MinLeafSize))
	for i := range wide {
		wide[i], sizes[i] = big, MinLeafSize
	}
	root := fileNode(t, wide, sizes)
	status, msg = post(rawCAR(t, []cid.Cid{root.c}, []carBlock{root, big}))
	if status != http.StatusBadRequest || !bytes.Contains([]byte(msg), []byte("links")) {
		t.Fatalf("a node of %d links: %d %s", MaxLinks+1, status, msg)
	}

	chain := []carBlock{big}
	for range MaxDepth + 1 {
		chain = append([]carBlock{fileNode(t, chain[:1], []uint64{MinLeafSize})}, chain...)
	}
	status, msg = post(rawCAR(t, []cid.Cid{chain[0].c}, chain))
	if status != http.StatusBadRequest || !bytes.Contains([]byte(msg), []byte("deeper")) {
		t.Fatalf("a DAG %d deep: %d %s", MaxDepth+2, status, msg)
	}
	assertEmpty(t, s)

	if n := maxBlocksFor(64 << 20); n != 2*256+64 {
		t.Fatalf("maxBlocksFor(64 MiB) = %d", n)
	}
}

// TestTinyBlockFloodKeepsMemoryBounded: a CAR of hundreds of thousands of
// one-byte blocks is refused after its second short leaf; the vault never
// holds per-block bookkeeping for the rest of them.
func TestTinyBlockFloodKeepsMemoryBounded(t *testing.T) {
	s := openStore(t)
	car := tinyLeavesCAR(t, 200_000)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := s.importCARStream(context.Background(), bytes.NewReader(car), int64(len(car)), false, cid.Undef)
	if !errors.Is(err, ErrDAGShape) {
		t.Fatalf("flood: %v, want ErrDAGShape", err)
	}
	runtime.ReadMemStats(&after)
	if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 64<<20 {
		t.Fatalf("refusing the flood allocated %d MiB", grew>>20)
	}
	assertEmpty(t, s)
}
