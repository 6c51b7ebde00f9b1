package deid

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Check is one verified property of a de-identified DICOM file.
type Check struct {
	What string // the attribute or property, e.g. "PatientName (0010,0010)"
	Want string // removed, empty, remapped, marked
	OK   bool
	Got  string // what the copy holds when not OK
}

// VerifyDICOM checks a de-identified copy against its original: every
// attribute of DICOMRules that the original has is removed, emptied or
// remapped in the copy as the rule says (searched in sequences too),
// private groups and overlays are gone, no identifying value of the
// original appears anywhere in the copy's bytes, and the copy is marked
// Patient Identity Removed = YES with a De-identification Method.
func VerifyDICOM(original, copy []byte) ([]Check, error) {
	orig, err := dicom.Parse(bytes.NewReader(original), int64(len(original)), nil)
	if err != nil {
		return nil, fmt.Errorf("original: %w: %v", ErrNotDICOM, err)
	}
	deid, err := dicom.Parse(bytes.NewReader(copy), int64(len(copy)), nil)
	if err != nil {
		return nil, fmt.Errorf("copy: %w: %v", ErrNotDICOM, err)
	}
	var checks []Check
	tags := make([]tag.Tag, 0, len(DICOMRules))
	for t := range DICOMRules {
		tags = append(tags, t)
	}
	sort.Slice(tags, func(i, j int) bool { return less(tags[i], tags[j]) })
	for _, t := range tags {
		before, had := stringsOf(orig, t)
		if !had {
			continue
		}
		after, has := stringsOf(deid, t)
		c := Check{What: name(t)}
		switch DICOMRules[t] {
		case Remove:
			c.Want, c.OK = "removed", !has
		case Empty:
			c.Want, c.OK = "empty", !has || strings.TrimSpace(strings.Join(after, "")) == ""
		case RemapUID:
			c.Want = "remapped"
			c.OK = !has || (len(after) == len(before) && !overlaps(after, before))
		}
		if !c.OK {
			c.Got = strings.Join(after, `\`)
		}
		checks = append(checks, c)
		// Whatever the rule, no identifying value may survive elsewhere.
		for _, v := range before {
			if v = strings.TrimSpace(v); len(v) >= 3 && bytes.Contains(copy, []byte(v)) {
				checks = append(checks, Check{What: name(t) + " value anywhere in the file", Want: "absent", Got: v})
			}
		}
	}
	var private, overlays []string
	for _, e := range deid.Elements {
		switch g := e.Tag.Group; {
		case tag.IsPrivate(g):
			private = append(private, e.Tag.String())
		case g >= 0x6000 && g <= 0x60FF && g%2 == 0:
			overlays = append(overlays, e.Tag.String())
		}
	}
	checks = append(checks,
		Check{What: "private attributes", Want: "removed", OK: len(private) == 0, Got: strings.Join(private, " ")},
		Check{What: "overlays (6000-60FF,xxxx)", Want: "removed", OK: len(overlays) == 0, Got: strings.Join(overlays, " ")})
	removed, _ := stringsOf(deid, tag.PatientIdentityRemoved)
	method, _ := stringsOf(deid, tag.DeidentificationMethod)
	checks = append(checks,
		Check{What: name(tag.PatientIdentityRemoved), Want: "YES", OK: strings.Join(removed, "") == "YES", Got: strings.Join(removed, "")},
		Check{What: name(tag.DeidentificationMethod), Want: "set", OK: strings.TrimSpace(strings.Join(method, "")) != ""})
	return checks, nil
}

func stringsOf(ds dicom.Dataset, t tag.Tag) ([]string, bool) {
	e, err := ds.FindElementByTagNested(t)
	if err != nil {
		return nil, false
	}
	s, _ := e.Value.GetValue().([]string)
	return s, true
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x != "" && x == y {
				return true
			}
		}
	}
	return false
}

func name(t tag.Tag) string {
	if info, err := tag.Find(t); err == nil {
		return fmt.Sprintf("%s %s", info.Name, t)
	}
	return t.String()
}
