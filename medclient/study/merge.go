package study

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// member is one instance of a container being written: from the older
// version (in == nil) or given anew.
type member struct {
	Entry
	in *Instance
}

// members are the instances of a new version: those of old (an empty
// Index for a first version) that no added instance replaces, and the
// added ones, last of each SOPInstanceUID first, in container order. An
// added instance without SHA256 gets zeroHash.
func members(old Index, added []Instance) ([]member, error) {
	planned, err := plan(added, old.StudyInstanceUID)
	if err != nil {
		return nil, err
	}
	replaced := map[string]bool{}
	var out []member
	for i := range planned {
		replaced[planned[i].SOPInstanceUID] = true
		out = append(out, member{entryOf(planned[i]), &planned[i]})
	}
	for _, e := range old.Instances {
		if !replaced[e.SOPInstanceUID] {
			out = append(out, member{Entry: e})
		}
	}
	if len(out) == 0 {
		return nil, errNoInstance
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i].Attributes, out[j].Attributes) })
	return out, nil
}

// MergeSize is the exact number of bytes Merge writes for an older version
// whose index is old and the instances added, computed without reading
// them.
func MergeSize(old Index, added []Instance) (int64, error) {
	ms, err := members(old, added)
	if err != nil {
		return 0, err
	}
	entries := make([]Entry, len(ms))
	for i, m := range ms {
		entries[i] = m.Entry
	}
	return sizeOfEntries(entries)
}

// Merge writes to w the container of a study's new version: every
// instance of the older version's container, read from the stream old and
// copied byte for byte (each verified against the old index), and the
// instances added, which must belong to the same study. An added instance
// whose SOPInstanceUID is already in the older version replaces it. The
// older container is read once, in order, and the instances are opened one
// at a time, so memory holds the two indexes and no instance. It returns
// the new index; MergeSize gives the number of bytes beforehand.
func Merge(w io.Writer, old io.Reader, added []Instance) (Index, error) {
	if old == nil {
		return Index{}, errors.New("study: Merge needs the older container")
	}
	return merge(w, old, added)
}

// merge writes the container of the instances of old (a container stream,
// or nil) and added.
func merge(w io.Writer, old io.Reader, added []Instance) (Index, error) {
	var cr *Reader
	var oldIdx Index
	if old != nil {
		var err error
		if cr, err = NewReader(old); err != nil {
			return Index{}, fmt.Errorf("older version: %w", err)
		}
		oldIdx = cr.Index()
	}
	ms, err := members(oldIdx, added)
	if err != nil {
		return Index{}, err
	}
	entries := make([]Entry, len(ms))
	for i := range ms {
		if in := ms[i].in; in != nil && in.SHA256 == "" {
			if ms[i].SHA256, err = hashInstance(*in); err != nil {
				return Index{}, err
			}
		}
		entries[i] = ms[i].Entry
	}
	idx := indexOf(entries)
	tw, err := startContainer(w, idx)
	if err != nil {
		return Index{}, err
	}
	for _, m := range ms {
		if m.in != nil {
			if err := copyInstance(tw, m.Entry, *m.in); err != nil {
				return Index{}, err
			}
			continue
		}
		// The older instances come in the same relative order as in the
		// older container (less depends on each instance alone); skip
		// (and verify) those replaced.
		for {
			e, body, err := cr.Next()
			if err == io.EOF {
				return Index{}, fmt.Errorf("study: older version: instance %s missing", m.SOPInstanceUID)
			}
			if err != nil {
				return Index{}, fmt.Errorf("older version: %w", err)
			}
			if e.SOPInstanceUID == m.SOPInstanceUID {
				if err := writeMember(tw, m.Entry, body); err != nil {
					return Index{}, fmt.Errorf("older version: %w", err)
				}
				break
			}
		}
	}
	if cr != nil {
		for {
			_, _, err := cr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return Index{}, fmt.Errorf("older version: %w", err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return Index{}, err
	}
	return idx, nil
}
