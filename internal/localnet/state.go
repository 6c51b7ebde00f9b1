package localnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	markerFile = ".medchain-localnet"
	stateFile  = "localnet.json"
	clientDir  = "client"
	logsDir    = "logs"
	gentxDir   = "gentxs"
)

// State describes an initialised network. Init writes it as the last step
// (Dir/localnet.json); Run reads it, so a network keeps working as built
// even if config.yml changes later.
type State struct {
	ChainID      string        `json:"chain_id"`
	BondDenom    string        `json:"bond_denom"`
	PortBase     int           `json:"port_base"`
	ConfigDigest string        `json:"config_sha256"`
	CreatedAt    time.Time     `json:"created_at"`
	Nodes        []Node        `json:"nodes"`
	Accounts     []AccountInfo `json:"accounts"` // in config order
	ClientHome   string        `json:"client_home"`
}

// AccountInfo is a genesis account as created by Init.
type AccountInfo struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	// Key is true when the client keyring holds the account's key.
	Key bool `json:"key"`
}

// Node is one validator node of the network.
type Node struct {
	Name    string `json:"name"`
	Home    string `json:"home"`
	NodeID  string `json:"node_id"`
	Address string `json:"address"` // the validator's account address
	Ports   Ports  `json:"ports"`
}

// LogFile is where Run sends the node's output.
func (n Node) LogFile(dir string) string { return filepath.Join(dir, logsDir, n.Name+".log") }

// RPC is the node's CometBFT RPC URL.
func (n Node) RPC() string { return "http://" + hostPort(n.Ports.RPC) }

// ReadState reads Dir/localnet.json. It returns an error wrapping
// os.ErrNotExist if the network has not been (completely) initialised.
func ReadState(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s is corrupt (%v); remove %s (or run with -reset) to rebuild the network", filepath.Join(dir, stateFile), err, dir)
	}
	if len(st.Nodes) == 0 || st.ChainID == "" {
		return nil, fmt.Errorf("%s lists no nodes; remove %s (or run with -reset) to rebuild the network", filepath.Join(dir, stateFile), dir)
	}
	return &st, nil
}

func writeState(dir string, st *State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, stateFile))
}

// IsLocalnetDir reports whether dir was created by this driver (it holds the
// marker file Init writes before anything else).
func IsLocalnetDir(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, markerFile))
	return err == nil && fi.Mode().IsRegular()
}

// Reset deletes a network directory, refusing anything that Init did not
// create: dir must hold the driver's marker file (or not exist at all).
func Reset(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(abs)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("refusing to reset %s: it is not a directory", abs)
	}
	if home, _ := os.UserHomeDir(); abs == filepath.Dir(abs) || abs == home {
		return fmt.Errorf("refusing to reset %s", abs)
	}
	if !IsLocalnetDir(abs) {
		entries, _ := os.ReadDir(abs)
		if len(entries) == 0 {
			return os.Remove(abs)
		}
		names := make([]string, 0, 3)
		for i, e := range entries {
			if i == 3 {
				names = append(names, "...")
				break
			}
			names = append(names, e.Name())
		}
		return fmt.Errorf("refusing to reset %s: it holds %s but no %s marker, so it was not made by the localnet driver; remove it yourself if you are sure",
			abs, strings.Join(names, ", "), markerFile)
	}
	return os.RemoveAll(abs)
}
