package localnet

import (
	"fmt"
	"net"
	"strconv"
)

// DefaultPortBase is the first port of the first node (see the package doc).
const DefaultPortBase = 27000

// portStride is the number of ports reserved per node.
const portStride = 10

// Ports are the loopback ports of one node.
type Ports struct {
	P2P        int `json:"p2p"`
	RPC        int `json:"rpc"`
	GRPC       int `json:"grpc"`
	API        int `json:"api"`
	PProf      int `json:"pprof"`
	Vault      int `json:"vault"`
	ProxyApp   int `json:"proxy_app"`
	Prometheus int `json:"prometheus"`
}

// NodePorts returns the ports of node i for the given base.
func NodePorts(base, i int) Ports {
	b := base + portStride*i
	return Ports{
		P2P: b, RPC: b + 1, GRPC: b + 2, API: b + 3,
		PProf: b + 4, Vault: b + 5, ProxyApp: b + 6, Prometheus: b + 7,
	}
}

func (p Ports) list() []struct {
	name string
	port int
} {
	return []struct {
		name string
		port int
	}{
		{"p2p", p.P2P}, {"rpc", p.RPC}, {"grpc", p.GRPC}, {"api", p.API},
		{"pprof", p.PProf}, {"vault", p.Vault}, {"proxy_app", p.ProxyApp}, {"prometheus", p.Prometheus},
	}
}

// checkPortBase rejects bases whose ports fall outside 1024-65535.
func checkPortBase(base, nodes int) error {
	last := base + portStride*nodes - 1
	if base < 1024 || last > 65535 {
		return fmt.Errorf("port base %d gives ports %d-%d; they must lie within 1024-65535", base, base, last)
	}
	return nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// portFree reports whether 127.0.0.1:port can be listened on right now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", hostPort(port))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// FreePortBase returns the first base from start on (in steps of 100) at
// which every port of n nodes is free; tests use it to avoid a running
// localnet.
func FreePortBase(start, n int) (int, error) {
	for base := start; base+portStride*n <= 65535; base += 100 {
		free := true
		for i := 0; i < n && free; i++ {
			for _, p := range NodePorts(base, i).list() {
				if !portFree(p.port) {
					free = false
					break
				}
			}
		}
		if free {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no free block of %d ports from %d on", portStride*n, start)
}
