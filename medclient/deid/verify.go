package deid

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Check is one verified property of a de-identified DICOM file.
type Check struct {
	What string // the attribute (with its sequence path) or property, e.g. "Patient's Name (0010,0010)"
	Want string // the table's action and what it requires, e.g. "Z: empty"
	OK   bool
	Got  string // what the copy holds when not OK
}

// VerifyDICOM checks a de-identified copy against its original, driven by
// TableE11: for every attribute of the table the original has, at the top
// level and inside sequences, one Check that the copy applies the action
// ResolveAction gives (removed, empty, dummy, UID remapped, kept, or with
// shiftDays != 0 date shifted by exactly shiftDays days) and that no text
// or UID value it removed is left anywhere in the copy's bytes; then that
// UIDs were remapped consistently (one new UID per original UID), private
// attributes, overlays and curves are gone, the copy is marked (Patient
// Identity Removed, De-identification Method within LO's 64 characters,
// De-identification Method Code Sequence with the options used,
// Longitudinal Temporal Information Modified) and its Pixel Data value is
// byte for byte the original's. It needs no key: UID remapping is checked
// for consistency, not recomputed.
func VerifyDICOM(original, copy []byte, shiftDays int) ([]Check, error) {
	orig, err := dicom.Parse(bytes.NewReader(original), int64(len(original)), nil, dicom.SkipProcessingPixelDataValue())
	if err != nil {
		return nil, fmt.Errorf("original: %w: %v", ErrNotDICOM, err)
	}
	deid, err := dicom.Parse(bytes.NewReader(copy), int64(len(copy)), nil, dicom.SkipProcessingPixelDataValue())
	if err != nil {
		return nil, fmt.Errorf("copy: %w: %v", ErrNotDICOM, err)
	}
	v := verifier{shift: shiftDays, copy: copy, uids: map[string]string{}, origUIDs: map[string]bool{}}
	v.kept = keptText(orig.Elements) + "\x00" + strings.Join(dummyTexts(), "\x00")
	v.copyText = textOf(deid.Elements)
	v.walk(orig.Elements, deid.Elements, "", true)
	v.uidConsistency(deid.Elements)
	v.groups(deid.Elements)
	v.marks(deid)
	v.pixels(orig, original, copy)
	return v.checks, nil
}

type verifier struct {
	shift    int
	copy     []byte
	checks   []Check
	uids     map[string]string // original UID -> UID in the copy
	clashes  []string
	origUIDs map[string]bool
	// copyText is every text value of the copy but its UIDs, which are
	// fresh digits (a short number removed from the original may occur in
	// them by chance), and its binary values (pixel data).
	copyText string
	// kept is the text the copy may hold legitimately: the original's
	// values of attributes the table does not list (kept as they are)
	// and the dummies; a removed value found in it is not a leak.
	kept string
}

// keptText joins the string values of the attributes the table does not
// list, at every level.
func keptText(es []*dicom.Element) string {
	var b strings.Builder
	for _, e := range es {
		if TableRow(e.Tag) == nil && !isOverlay(e.Tag) {
			for _, s := range stringValues(e) {
				b.WriteString(strings.Trim(s, " \x00"))
				b.WriteByte(0)
			}
		}
		for _, item := range items(e) {
			b.WriteString(keptText(item))
		}
	}
	return b.String()
}

// textOf joins the text values of es, at every level, except UIDs.
func textOf(es []*dicom.Element) string {
	var b strings.Builder
	for _, e := range es {
		if e.Value == nil {
			continue
		}
		if s, ok := e.Value.GetValue().([]string); ok && e.RawValueRepresentation != "UI" {
			b.WriteString(strings.Join(s, "\x00"))
			b.WriteByte(0)
		}
		for _, item := range items(e) {
			b.WriteString(textOf(item))
		}
	}
	return b.String()
}

func dummyTexts() []string {
	var out []string
	for _, vr := range []string{"DA", "TM", "DT", "AS", "DS", "LO"} {
		out = append(out, DummyValue(vr).([]string)...)
	}
	return out
}

func (v *verifier) add(c Check) { v.checks = append(v.checks, c) }

// walk checks the table's attributes of orig (one list of elements) against
// cp, the same list in the copy.
func (v *verifier) walk(orig, cp []*dicom.Element, path string, top bool) {
	inCopy := make(map[tag.Tag]*dicom.Element, len(cp))
	for _, e := range cp {
		inCopy[e.Tag] = e
	}
	for _, e := range orig {
		t := e.Tag
		if t.Group%2 == 1 || isCurve(t) || isOverlay(t) {
			continue // checked as groups
		}
		c := inCopy[t]
		row := TableRow(t)
		if row == nil {
			if c != nil {
				v.items(e, c, path)
			}
			continue
		}
		vr := e.RawValueRepresentation
		act := ResolveAction(*row, vr, v.shift)
		ch := Check{What: path + name(t), Want: row.Basic + ": " + v.describe(act, vr)}
		if act == ShiftDates {
			ch.Want = row.Basic + ", option 113107 C: " + v.describe(act, vr)
		}
		before := strings.Join(stringValues(e), `\`)
		switch act {
		case Remove:
			ch.OK = c == nil
		case Empty:
			ch.OK = c != nil && isEmpty(c)
		case Dummy:
			ch.OK = c != nil && valueString(c) == fmt.Sprint(DummyValue(vr))
		case RemapUID:
			ch.OK = c != nil && v.remapped(stringValues(e), stringValues(c))
		case ShiftDates:
			want, ok := shiftByVR(vr, before, v.shift)
			if !ok {
				want = ""
			}
			ch.OK = c != nil && normStrings(c) == strings.Trim(want, " \x00")
			if !ok {
				ch.Want += " (unreadable: emptied)"
			}
		case Keep:
			ch.OK = c != nil && valueString(c) == valueString(e)
		case KeepRemap:
			ch.OK = c != nil && len(items(c)) == len(items(e))
		}
		if !ch.OK {
			ch.Got = "absent"
			if c != nil {
				ch.Got = valueString(c)
			}
		}
		// A value removed or replaced must not survive elsewhere.
		if ch.OK && act != Keep && act != KeepRemap && act != ShiftDates && leakable(vr) {
			for _, s := range stringValues(e) {
				if s = strings.Trim(s, " \x00"); len(s) >= 4 && !strings.Contains(v.kept, s) && strings.Contains(v.copyText, s) {
					ch.OK, ch.Got = false, fmt.Sprintf("value %q still in the file", s)
				}
			}
		}
		v.add(ch)
		if c != nil && (act == KeepRemap || act == Keep) {
			v.items(e, c, path)
		}
	}
}

// items checks the items of a sequence kept in the copy.
func (v *verifier) items(e, c *dicom.Element, path string) {
	oi, ci := items(e), items(c)
	if len(oi) == 0 {
		return
	}
	if len(oi) != len(ci) {
		v.add(Check{What: path + name(e.Tag), Want: "items kept", Got: fmt.Sprintf("%d items for %d", len(ci), len(oi))})
		return
	}
	for k := range oi {
		v.walk(oi[k], ci[k], fmt.Sprintf("%s%s[%d] > ", path, name(e.Tag), k), false)
	}
}

func (v *verifier) describe(a Action, vr string) string {
	switch a {
	case Remove:
		return "removed"
	case Empty:
		if vr == "SQ" {
			return "empty sequence"
		}
		return "empty"
	case Dummy:
		return fmt.Sprintf("dummy %v", DummyValue(vr))
	case RemapUID:
		return "UID remapped consistently"
	case ShiftDates:
		if vr == "TM" {
			return "time kept (whole-day shift)"
		}
		return fmt.Sprintf("date shifted by %d days", v.shift)
	case Keep:
		return "kept"
	case KeepRemap:
		return "sequence kept, its items de-identified"
	}
	return string(a)
}

var reRemappedUID = regexp.MustCompile(`^2\.25\.(0|[1-9][0-9]{0,38})$`)

// remapped tells whether after holds a remapping of every UID of before,
// recording the pairs for the consistency check.
func (v *verifier) remapped(before, after []string) bool {
	if len(before) != len(after) {
		return false
	}
	for i, b := range before {
		b, a := strings.Trim(b, " \x00"), strings.Trim(after[i], " \x00")
		if b == "" {
			if a != "" {
				return false
			}
			continue
		}
		if a == b || !reRemappedUID.MatchString(a) {
			return false
		}
		v.origUIDs[b] = true
		if prev, ok := v.uids[b]; ok && prev != a {
			v.clashes = append(v.clashes, fmt.Sprintf("%s -> %s and %s", b, prev, a))
		}
		v.uids[b] = a
	}
	return true
}

// uidConsistency checks the remapping is one-to-one and that no original
// UID is left among the copy's UI values.
func (v *verifier) uidConsistency(cp []*dicom.Element) {
	seen := map[string]string{}
	for o, n := range v.uids {
		if p, ok := seen[n]; ok {
			v.clashes = append(v.clashes, fmt.Sprintf("%s and %s -> %s", p, o, n))
		}
		seen[n] = o
	}
	var left []string
	var visit func([]*dicom.Element)
	visit = func(es []*dicom.Element) {
		for _, e := range es {
			if e.RawValueRepresentation == "UI" {
				for _, s := range stringValues(e) {
					if s = strings.Trim(s, " \x00"); v.origUIDs[s] && !strings.Contains("\x00"+v.kept, "\x00"+s+"\x00") {
						left = append(left, fmt.Sprintf("%s %s", e.Tag, s))
					}
				}
			}
			for _, item := range items(e) {
				visit(item)
			}
		}
	}
	visit(cp)
	sort.Strings(v.clashes)
	v.add(Check{What: fmt.Sprintf("UID remapping (%d UIDs)", len(v.uids)), Want: "one new UID per original UID, everywhere",
		OK: len(v.clashes) == 0, Got: strings.Join(v.clashes, "; ")})
	v.add(Check{What: "original UIDs", Want: "absent from the copy (unless also in an attribute the table keeps)", OK: len(left) == 0, Got: strings.Join(left, "; ")})
}

// groups checks private attributes, overlays and curves are gone, at every
// level.
func (v *verifier) groups(cp []*dicom.Element) {
	var private, overlays []string
	var visit func([]*dicom.Element)
	visit = func(es []*dicom.Element) {
		for _, e := range es {
			switch t := e.Tag; {
			case t.Group%2 == 1:
				private = append(private, t.String())
			case isCurve(t) || isOverlay(t):
				overlays = append(overlays, t.String())
			}
			for _, item := range items(e) {
				visit(item)
			}
		}
	}
	visit(cp)
	v.add(Check{What: "private attributes (gggg odd,eeee)", Want: "X: removed", OK: len(private) == 0, Got: strings.Join(private, " ")})
	v.add(Check{What: "overlays (60xx,xxxx) and curves (50xx,xxxx)", Want: "X: removed", OK: len(overlays) == 0, Got: strings.Join(overlays, " ")})
}

// marks checks what the copy declares about its de-identification.
func (v *verifier) marks(ds dicom.Dataset) {
	top := func(t tag.Tag) (*dicom.Element, string) {
		e, err := ds.FindElementByTag(t)
		if err != nil {
			return nil, ""
		}
		return e, strings.Join(stringValues(e), `\`)
	}
	_, removed := top(tagPatientIdentityRemoved)
	v.add(Check{What: name(tagPatientIdentityRemoved), Want: "YES", OK: removed == "YES", Got: removed})

	wantMethod, wantCodes, wantTemporal := MethodBasic, []MethodCode{basicProfileCode}, TemporalRemoved
	if v.shift != 0 {
		wantMethod, wantCodes, wantTemporal = MethodModifiedDates, []MethodCode{basicProfileCode, modifiedDatesCode}, TemporalModified
	}
	_, method := top(tagDeidentificationMethod)
	v.add(Check{What: name(tagDeidentificationMethod), Want: fmt.Sprintf("%q (LO, at most 64 characters)", wantMethod),
		OK: method == wantMethod && len(method) <= 64, Got: method})

	seq, _ := top(tagMethodCodeSequence)
	var got []string
	if seq != nil {
		for _, item := range items(seq) {
			var c MethodCode
			for _, e := range item {
				s := strings.Join(stringValues(e), `\`)
				switch e.Tag {
				case tag.CodeValue:
					c.Value = s
				case tag.CodingSchemeDesignator:
					c.Scheme = s
				case tag.CodeMeaning:
					c.Meaning = s
				}
			}
			got = append(got, fmt.Sprintf("(%s, %s, %q)", c.Value, c.Scheme, c.Meaning))
		}
	}
	var want []string
	for _, c := range wantCodes {
		want = append(want, fmt.Sprintf("(%s, %s, %q)", c.Value, c.Scheme, c.Meaning))
	}
	v.add(Check{What: name(tagMethodCodeSequence), Want: strings.Join(want, " "),
		OK: strings.Join(got, " ") == strings.Join(want, " "), Got: strings.Join(got, " ")})

	_, temporal := top(tagTemporalInfoModified)
	v.add(Check{What: name(tagTemporalInfoModified), Want: wantTemporal, OK: temporal == wantTemporal, Got: temporal})
}

// pixels checks the Pixel Data value is unchanged, byte for byte.
func (v *verifier) pixels(orig dicom.Dataset, original, copy []byte) {
	c := Check{What: name(tag.PixelData), Want: "value identical, byte for byte"}
	err := addFileMeta(&orig, original)
	bo, implicit := binary.ByteOrder(binary.LittleEndian), false
	if err == nil {
		bo, implicit, err = transferSyntax(orig)
	}
	if err != nil {
		c.Got = err.Error()
		v.add(c)
		return
	}
	before, err1 := PixelDataValue(original, bo, implicit)
	after, err2 := PixelDataValue(copy, bo, implicit)
	switch {
	case err1 != nil && err2 != nil:
		c.Want, c.OK = "absent, as in the original", true
	case err1 != nil || err2 != nil:
		c.Got = "present in only one of the files"
	default:
		c.OK = bytes.Equal(before, after)
		c.Want = fmt.Sprintf("value identical, byte for byte (%d bytes)", len(before))
		if !c.OK {
			c.Got = fmt.Sprintf("%d bytes, different", len(after))
		}
	}
	v.add(c)
}

func isEmpty(e *dicom.Element) bool {
	if e.Value == nil {
		return true
	}
	switch x := e.Value.GetValue().(type) {
	case []string:
		return strings.Trim(strings.Join(x, ""), " \x00") == ""
	case []int:
		return len(x) == 0
	case []float64:
		return len(x) == 0
	case []byte:
		return len(x) == 0
	case []*dicom.SequenceItemValue:
		return len(x) == 0
	}
	return false
}

// valueString is a value as text, for comparing and showing.
func valueString(e *dicom.Element) string {
	if e == nil || e.Value == nil {
		return ""
	}
	switch x := e.Value.GetValue().(type) {
	case []string:
		t := make([]string, len(x))
		for i, s := range x {
			t[i] = strings.Trim(s, " \x00")
		}
		return fmt.Sprint(t)
	case []*dicom.SequenceItemValue:
		return fmt.Sprintf("sequence of %d items", len(x))
	}
	return fmt.Sprint(e.Value.GetValue())
}

// leakable VRs hold text or UIDs that would identify if found elsewhere.
func leakable(vr string) bool {
	switch vr {
	case "PN", "LO", "SH", "LT", "ST", "UT", "UC", "AE", "UI":
		return true
	}
	return false
}
