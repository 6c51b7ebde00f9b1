package deid

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
	"github.com/suyashkumar/dicom/pkg/uid"
)

// ProfileAttribute is one row of PS3.15 Table E.1-1 (see TableE11).
type ProfileAttribute struct {
	// Tag is the tag as the standard writes it, "(0010,0010)", or the
	// pattern of a wildcard row: "(50xx,xxxx)", "(60xx,3000)",
	// "(60xx,4000)", "(gggg,eeee)" (private attributes: gggg odd).
	Tag string
	// Name is the attribute name.
	Name string
	// Basic is the Basic Profile action exactly as the table writes it:
	// X, Z, D, K, C, U or a combination such as X/Z, X/D, Z/D, X/Z/D,
	// X/Z/U*.
	Basic string
	// ModifiedDates is the "Rtn. Long. Modif. Dates" column (option
	// 113107): "C" when the option keeps the attribute with its dates
	// modified, "" when the option leaves the basic action.
	ModifiedDates string
}

// Action is what de-identification does to one attribute, once the table's
// action has been resolved for its VR and the options (see ResolveAction).
type Action string

// The resolved actions.
const (
	Remove     Action = "X"  // the attribute is removed
	Empty      Action = "Z"  // kept with a zero-length value (a sequence: no items)
	Dummy      Action = "D"  // the value is replaced by DummyValue of its VR
	Keep       Action = "K"  // kept; a sequence's items are de-identified in turn
	RemapUID   Action = "U"  // every UID is replaced by its keyed remapping
	KeepRemap  Action = "U*" // a sequence kept, its items de-identified (UIDs in it remapped)
	ShiftDates Action = "C"  // option 113107: dates shifted by whole days, times kept
)

// Method code values declared in De-identification Method Code Sequence
// (0012,0064), from PS3.16 CID 7050.
const (
	CodeBasicProfile  = "113100"
	CodeModifiedDates = "113107"
)

// MethodCode is one item of De-identification Method Code Sequence.
type MethodCode struct {
	Value, Scheme, Meaning string
}

var (
	basicProfileCode  = MethodCode{CodeBasicProfile, "DCM", "Basic Application Confidentiality Profile"}
	modifiedDatesCode = MethodCode{CodeModifiedDates, "DCM", "Retain Longitudinal Temporal Information Modified Dates Option"}
)

// De-identification Method (0012,0063) texts: LO, at most 64 characters.
const (
	MethodBasic         = "PS3.15 E.1 Basic Profile"
	MethodModifiedDates = "PS3.15 E.1 Basic Profile; Modified Dates"
)

// Values of Longitudinal Temporal Information Modified (0028,0303).
const (
	TemporalModified = "MODIFIED"
	TemporalRemoved  = "REMOVED"
)

// Tags this package writes or reads besides the table's.
var (
	tagBurnedInAnnotation     = tag.Tag{Group: 0x0028, Element: 0x0301}
	tagTemporalInfoModified   = tag.Tag{Group: 0x0028, Element: 0x0303}
	tagDeidentificationMethod = tag.Tag{Group: 0x0012, Element: 0x0063}
	tagMethodCodeSequence     = tag.Tag{Group: 0x0012, Element: 0x0064}
	tagPatientIdentityRemoved = tag.Tag{Group: 0x0012, Element: 0x0062}
)

// DICOMOptions are the options of the profile the caller chooses; each one
// used is declared in the copy.
type DICOMOptions struct {
	// DateShiftDays, when not 0, selects option 113107 (Retain
	// Longitudinal Temporal Information with Modified Dates): every DA and
	// DT attribute the table marks C in that option's column is moved by
	// this many days (ShiftDays gives a patient's shift) and TM values are
	// kept. When 0, dates follow the basic action.
	DateShiftDays int
	// AllowBurnedInAnnotation lets through an image whose Burned In
	// Annotation (0028,0301) is YES. Pixel data are never changed, so
	// text burned into them stays: the caller takes responsibility.
	AllowBurnedInAnnotation bool
}

// Report says what DICOM changed.
type Report struct {
	Removed      []tag.Tag // attributes removed (private ones, overlays and curves included)
	Emptied      []tag.Tag // attributes kept with an empty value
	Dummied      []tag.Tag // values replaced by dummies
	Remapped     int       // UID values replaced by their remapping
	DatesShifted int       // date and time attributes moved by DateShiftDays (or checked, for TM)
	Options      []MethodCode
}

// Summary is the report in one line.
func (r Report) Summary() string {
	codes := make([]string, len(r.Options))
	for i, o := range r.Options {
		codes[i] = o.Value
	}
	return fmt.Sprintf("%d attributes removed, %d emptied, %d replaced with dummies, %d UIDs remapped, %d dates shifted; options %s",
		len(r.Removed), len(r.Emptied), len(r.Dummied), r.Remapped, r.DatesShifted, strings.Join(codes, ", "))
}

var (
	// ErrNotDICOM is returned for input that does not parse as DICOM Part 10.
	ErrNotDICOM = errors.New("not a DICOM Part 10 file")
	// ErrBurnedInAnnotation refuses an image flagged Burned In Annotation
	// = YES unless DICOMOptions.AllowBurnedInAnnotation is set.
	ErrBurnedInAnnotation = errors.New("deid: Burned In Annotation (0028,0301) is YES: the pixels may show identifying text, which de-identification does not remove; " +
		"check the image and set AllowBurnedInAnnotation (the CLI's override flag) to share it anyway")
	// ErrUnsupported is returned for a file the DICOM library cannot
	// rewrite faithfully (transfer syntax, encoding); no copy is written.
	ErrUnsupported = errors.New("deid: cannot rewrite this DICOM file faithfully")
)

// DICOM reads a DICOM Part 10 file of size bytes from r and writes its
// de-identified copy to w, applying PS3.15 Table E.1-1 with the Basic
// Profile (see the package doc for the rules) and the options in opts.
// uidKey keys the UID remapping: give the same key for every file of a
// study. The whole file is held in memory while it is rewritten. Nothing is
// written to w unless the copy has been re-read and found to hold exactly
// the intended data set and the original's pixel data.
func DICOM(r io.Reader, size int64, w io.Writer, uidKey []byte, opts DICOMOptions) (Report, error) {
	if len(uidKey) < 16 {
		return Report{}, errors.New("deid: the UID key must have at least 16 bytes")
	}
	raw, err := io.ReadAll(io.LimitReader(r, size))
	if err != nil {
		return Report{}, err
	}
	if int64(len(raw)) != size {
		return Report{}, fmt.Errorf("%w: %d bytes read, %d expected", ErrNotDICOM, len(raw), size)
	}
	ds, err := parseDICOM(raw)
	if err != nil {
		return Report{}, err
	}
	if err := addFileMeta(&ds, raw); err != nil {
		return Report{}, err
	}
	bo, implicit, err := transferSyntax(ds)
	if err != nil {
		return Report{}, err
	}
	if !opts.AllowBurnedInAnnotation && burnedIn(ds.Elements) {
		return Report{}, ErrBurnedInAnnotation
	}

	d := deidentifier{key: uidKey, opts: opts}
	top := ds.Elements[:0]
	for _, e := range ds.Elements {
		switch e.Tag {
		case tagPatientIdentityRemoved, tagDeidentificationMethod, tagMethodCodeSequence, tagTemporalInfoModified:
			continue // written afresh below
		}
		top = append(top, e)
	}
	if ds.Elements, err = d.apply(top); err != nil {
		return Report{}, err
	}
	marks, options, err := markElements(opts)
	if err != nil {
		return Report{}, err
	}
	d.rep.Options = options
	ds.Elements = append(ds.Elements, marks...)
	// Keep ascending tag order, as Part 10 requires, after the additions.
	sort.SliceStable(ds.Elements, func(i, j int) bool { return less(ds.Elements[i].Tag, ds.Elements[j].Tag) })

	// The library skips an encapsulated image's Basic Offset Table on
	// reading: put it back so the Pixel Data value is written unchanged.
	origPixels, pixErr := PixelDataValue(raw, bo, implicit)
	if pixErr == nil {
		if err := restoreOffsets(ds, origPixels); err != nil {
			return Report{}, err
		}
	}

	var buf bytes.Buffer
	if err := dicom.Write(&buf, ds, dicom.SkipVRVerification()); err != nil {
		return Report{}, fmt.Errorf("%w: writing the copy: %v", ErrUnsupported, err)
	}
	// Re-read the copy: it must hold exactly the data set meant and the
	// original pixel data, byte for byte.
	back, err := parseDICOM(buf.Bytes())
	if err != nil {
		return Report{}, fmt.Errorf("%w: the copy does not parse again: %v", ErrUnsupported, err)
	}
	if err := sameElements(ds.Elements, back.Elements, ""); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	copyPixels, err := PixelDataValue(buf.Bytes(), bo, implicit)
	switch {
	case (pixErr == nil) != (err == nil):
		return Report{}, fmt.Errorf("%w: pixel data found in only one of the original and the copy", ErrUnsupported)
	case pixErr == nil && !bytes.Equal(origPixels, copyPixels):
		return Report{}, fmt.Errorf("%w: the pixel data would change", ErrUnsupported)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return Report{}, err
	}
	return d.rep, nil
}

// parseDICOM parses a whole Part 10 file, keeping native pixel data as raw
// bytes.
func parseDICOM(b []byte) (dicom.Dataset, error) {
	ds, err := dicom.Parse(bytes.NewReader(b), int64(len(b)), nil, dicom.SkipProcessingPixelDataValue())
	if err != nil {
		return ds, fmt.Errorf("%w: %v", ErrNotDICOM, err)
	}
	return ds, nil
}

// addFileMeta gives a bare data set (no Part 10 file meta information, as
// ACR-NEMA era files) the file meta the copy needs: the transfer syntax
// the library read it in, found the same way (PS3.5 7.1: explicit VR if a
// VR follows the first tag; big endian if the first group reads 0x0800
// little endian), and the SOP Class and Instance UIDs of the data set.
func addFileMeta(ds *dicom.Dataset, raw []byte) error {
	if _, err := ds.FindElementByTag(tag.TransferSyntaxUID); err == nil {
		return nil
	}
	ts, err := inferTransferSyntax(raw)
	if err != nil {
		return err
	}
	meta := []struct {
		t tag.Tag
		v any
	}{{tag.TransferSyntaxUID, []string{ts}}}
	for _, m := range []struct{ from, to tag.Tag }{{tag.SOPClassUID, tag.MediaStorageSOPClassUID}, {tag.SOPInstanceUID, tag.MediaStorageSOPInstanceUID}} {
		if e, err := ds.FindElementByTag(m.from); err == nil {
			meta = append(meta, struct {
				t tag.Tag
				v any
			}{m.to, stringValues(e)})
		}
	}
	for _, m := range meta {
		e, err := dicom.NewElement(m.t, m.v)
		if err != nil {
			return err
		}
		ds.Elements = append(ds.Elements, e)
	}
	sort.SliceStable(ds.Elements, func(i, j int) bool { return less(ds.Elements[i].Tag, ds.Elements[j].Tag) })
	return nil
}

// inferTransferSyntax guesses the transfer syntax of a file without file
// meta information from its first element.
func inferTransferSyntax(raw []byte) (string, error) {
	b := raw
	if len(b) >= 132 && string(b[128:132]) == "DICM" {
		b = b[132:]
	}
	if len(b) < 8 {
		return "", fmt.Errorf("%w: no Transfer Syntax UID and too short to infer one", ErrUnsupported)
	}
	explicit := b[4] >= 'A' && b[4] <= 'Z' && b[5] >= 'A' && b[5] <= 'Z'
	switch {
	case binary.LittleEndian.Uint16(b) >= 0x0100 && binary.BigEndian.Uint16(b) < 0x0100 && explicit:
		return uid.ExplicitVRBigEndian, nil
	case explicit:
		return uid.ExplicitVRLittleEndian, nil
	}
	return uid.ImplicitVRLittleEndian, nil
}

// transferSyntax returns the byte order and VR encoding of a data set, or
// ErrUnsupported for a transfer syntax the library cannot write.
func transferSyntax(ds dicom.Dataset) (binary.ByteOrder, bool, error) {
	e, err := ds.FindElementByTag(tag.TransferSyntaxUID)
	if err != nil {
		return nil, false, fmt.Errorf("%w: the file has no Transfer Syntax UID (0002,0010)", ErrUnsupported)
	}
	ts := strings.TrimRight(strings.Join(stringValues(e), ""), " \x00")
	if ts == uid.DeflatedExplicitVRLittleEndian {
		return nil, false, fmt.Errorf("%w: deflated transfer syntax %s is not supported", ErrUnsupported, ts)
	}
	bo, implicit, err := uid.ParseTransferSyntaxUID(ts)
	if err != nil {
		return nil, false, fmt.Errorf("%w: transfer syntax %q: %v", ErrUnsupported, ts, err)
	}
	return bo, implicit, nil
}

func burnedIn(elems []*dicom.Element) bool {
	for _, e := range elems {
		if e.Tag == tagBurnedInAnnotation && strings.EqualFold(strings.TrimSpace(strings.Join(stringValues(e), "")), "YES") {
			return true
		}
		for _, item := range items(e) {
			if burnedIn(item) {
				return true
			}
		}
	}
	return false
}

// markElements are the attributes that declare what was done.
func markElements(opts DICOMOptions) ([]*dicom.Element, []MethodCode, error) {
	codes := []MethodCode{basicProfileCode}
	method, temporal := MethodBasic, TemporalRemoved
	if opts.DateShiftDays != 0 {
		codes = append(codes, modifiedDatesCode)
		method, temporal = MethodModifiedDates, TemporalModified
	}
	var firstErr error
	el := func(t tag.Tag, v any) *dicom.Element {
		e, err := dicom.NewElement(t, v)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return e
	}
	seq := make([][]*dicom.Element, len(codes))
	for i, c := range codes {
		seq[i] = []*dicom.Element{
			el(tag.CodeValue, []string{c.Value}),
			el(tag.CodingSchemeDesignator, []string{c.Scheme}),
			el(tag.CodeMeaning, []string{c.Meaning}),
		}
	}
	marks := []*dicom.Element{
		el(tagPatientIdentityRemoved, []string{"YES"}),
		el(tagDeidentificationMethod, []string{method}),
		el(tagMethodCodeSequence, seq),
		el(tagTemporalInfoModified, []string{temporal}),
	}
	return marks, codes, firstErr
}

func less(a, b tag.Tag) bool {
	if a.Group != b.Group {
		return a.Group < b.Group
	}
	return a.Element < b.Element
}

// Table lookup.

var (
	tableByTag                           = map[tag.Tag]*ProfileAttribute{}
	rowPrivate, rowCurve, rowOverlayData *ProfileAttribute
	rowOverlayComments                   *ProfileAttribute
	errTableRow                          error
)

func init() {
	for i := range TableE11 {
		row := &TableE11[i]
		switch row.Tag {
		case "(gggg,eeee)":
			rowPrivate = row
		case "(50xx,xxxx)":
			rowCurve = row
		case "(60xx,3000)":
			rowOverlayData = row
		case "(60xx,4000)":
			rowOverlayComments = row
		default:
			t, err := parseTag(row.Tag)
			if err != nil && errTableRow == nil {
				errTableRow = err
			}
			tableByTag[t] = row
		}
	}
}

func parseTag(s string) (tag.Tag, error) {
	if len(s) != 11 || s[0] != '(' || s[5] != ',' || s[10] != ')' {
		return tag.Tag{}, fmt.Errorf("deid: bad table tag %q", s)
	}
	g, err1 := strconv.ParseUint(s[1:5], 16, 16)
	e, err2 := strconv.ParseUint(s[6:10], 16, 16)
	if err1 != nil || err2 != nil {
		return tag.Tag{}, fmt.Errorf("deid: bad table tag %q", s)
	}
	return tag.Tag{Group: uint16(g), Element: uint16(e)}, nil
}

// isCurve and isOverlay tell the repeating groups 5000-50FF and 6000-60FF
// (even groups; odd ones are private).
func isCurve(t tag.Tag) bool   { return t.Group >= 0x5000 && t.Group <= 0x50FF && t.Group%2 == 0 }
func isOverlay(t tag.Tag) bool { return t.Group >= 0x6000 && t.Group <= 0x60FF && t.Group%2 == 0 }

// TableRow returns the row of Table E.1-1 that applies to t, wildcard rows
// included, or nil. Overlay attributes other than Overlay Data and Overlay
// Comments have no row (this package removes them all the same).
func TableRow(t tag.Tag) *ProfileAttribute {
	switch {
	case t.Group%2 == 1:
		return rowPrivate
	case isCurve(t):
		return rowCurve
	case isOverlay(t) && t.Element == 0x3000:
		return rowOverlayData
	case isOverlay(t) && t.Element == 0x4000:
		return rowOverlayComments
	}
	return tableByTag[t]
}

// ResolveAction turns the table's action for an attribute of VR vr into
// the one action this package takes (the package doc gives the rule).
func ResolveAction(row ProfileAttribute, vr string, shiftDays int) Action {
	if shiftDays != 0 && row.ModifiedDates == "C" && (vr == "DA" || vr == "DT" || vr == "TM") {
		return ShiftDates
	}
	var a Action
	switch row.Basic {
	case "X", "C":
		a = Remove
	case "Z", "X/Z":
		a = Empty
	case "D", "X/D", "Z/D", "X/Z/D":
		a = Dummy
	case "K":
		a = Keep
	case "U":
		a = RemapUID
	case "X/Z/U*":
		switch vr {
		case "SQ":
			a = KeepRemap
		case "UI":
			a = RemapUID
		default:
			a = Empty
		}
	default:
		a = Remove // an action this code does not know: the strictest
	}
	switch {
	case a == Dummy && vr == "UI":
		return RemapUID // a UID's dummy is its remapping: references stay consistent
	case a == Dummy && vr == "SQ":
		return Empty // no dummy item can be made without knowing the IOD: no items
	}
	return a
}

// DummyValue is the value D puts in an attribute of VR vr: non-empty and
// valid for the VR. UI attributes are remapped instead, SQ ones emptied.
func DummyValue(vr string) any {
	switch vr {
	case "DA":
		return []string{"19000101"}
	case "TM":
		return []string{"000000"}
	case "DT":
		return []string{"19000101000000"}
	case "AS":
		return []string{"000D"}
	case "DS", "IS":
		return []string{"0"}
	case "US", "SS", "UL", "SL":
		return []int{0}
	case "AT":
		return []int{0, 0}
	case "FL", "FD":
		return []float64{0}
	case "OB", "OW", "UN":
		return []byte{0, 0}
	}
	return []string{"ANONYMIZED"} // AE, CS, LO, LT, PN, SH, ST, UC, UR, UT: fits every length limit
}

// The de-identifier.

type deidentifier struct {
	key  []byte
	opts DICOMOptions
	rep  Report
}

// apply de-identifies a list of elements, descending into the sequences
// it keeps.
func (d *deidentifier) apply(elems []*dicom.Element) ([]*dicom.Element, error) {
	out := elems[:0]
	for _, e := range elems {
		t := e.Tag
		if t.Group%2 == 1 || isCurve(t) || isOverlay(t) {
			d.rep.Removed = append(d.rep.Removed, t)
			continue
		}
		act := Keep
		if row := TableRow(t); row != nil {
			act = ResolveAction(*row, e.RawValueRepresentation, d.opts.DateShiftDays)
		}
		var err error
		switch act {
		case Remove:
			d.rep.Removed = append(d.rep.Removed, t)
			continue
		case Empty:
			err = setValue(e, emptyOf(e))
			d.rep.Emptied = append(d.rep.Emptied, t)
		case Dummy:
			err = setValue(e, DummyValue(e.RawValueRepresentation))
			d.rep.Dummied = append(d.rep.Dummied, t)
		case RemapUID:
			err = d.remap(e)
		case ShiftDates:
			v, ok := shiftByVR(e.RawValueRepresentation, strings.Join(stringValues(e), `\`), d.opts.DateShiftDays)
			if !ok {
				v = "" // never keep a date that could not be shifted
			}
			err = setValue(e, []string{v})
			d.rep.DatesShifted++
		case Keep, KeepRemap:
			if e.Value == nil || e.Value.ValueType() != dicom.Sequences {
				break
			}
			for _, item := range e.Value.GetValue().([]*dicom.SequenceItemValue) {
				inner, _ := item.GetValue().([]*dicom.Element)
				kept, err := d.apply(inner)
				if err != nil {
					return nil, err
				}
				v, err := dicom.NewValue([][]*dicom.Element{kept})
				if err != nil {
					return nil, err
				}
				*item = *v.GetValue().([]*dicom.SequenceItemValue)[0]
			}
		}
		if err != nil {
			return nil, fmt.Errorf("deid: %s: %w", name(t), err)
		}
		out = append(out, e)
	}
	return out, nil
}

// remap replaces every UID of e by its remapping.
func (d *deidentifier) remap(e *dicom.Element) error {
	switch v := e.Value.GetValue().(type) {
	case []string:
		mapped := make([]string, len(v))
		for i, u := range v {
			mapped[i] = remapUID(d.key, strings.TrimRight(u, " \x00"))
			if mapped[i] != "" {
				d.rep.Remapped++
			}
		}
		return setValue(e, mapped)
	case []byte: // a UID read as UN
		u := remapUID(d.key, strings.TrimRight(string(v), " \x00"))
		b := []byte(u)
		if len(b)%2 == 1 {
			b = append(b, 0)
		}
		if u != "" {
			d.rep.Remapped++
		}
		return setValue(e, b)
	}
	d.rep.Emptied = append(d.rep.Emptied, e.Tag)
	return setValue(e, emptyOf(e))
}

// emptyOf is the zero-length value of e's kind.
func emptyOf(e *dicom.Element) any {
	if e.Value == nil {
		return []string{""}
	}
	switch e.Value.ValueType() {
	case dicom.Ints:
		return []int{}
	case dicom.Floats:
		return []float64{}
	case dicom.Bytes:
		return []byte{}
	case dicom.Sequences:
		return [][]*dicom.Element{}
	}
	return []string{""}
}

func setValue(e *dicom.Element, data any) error {
	v, err := dicom.NewValue(data)
	if err != nil {
		return err
	}
	e.Value = v
	if _, seq := data.([][]*dicom.Element); !seq {
		e.ValueLength = 0 // recomputed on writing
	}
	return nil
}

// items returns the element lists of a sequence's items (nil for other
// elements).
func items(e *dicom.Element) [][]*dicom.Element {
	if e.Value == nil || e.Value.ValueType() != dicom.Sequences {
		return nil
	}
	seq := e.Value.GetValue().([]*dicom.SequenceItemValue)
	out := make([][]*dicom.Element, len(seq))
	for i, item := range seq {
		out[i], _ = item.GetValue().([]*dicom.Element)
	}
	return out
}

func stringValues(e *dicom.Element) []string {
	if e == nil || e.Value == nil {
		return nil
	}
	switch v := e.Value.GetValue().(type) {
	case []string:
		return v
	case []byte:
		return []string{strings.TrimRight(string(v), " \x00")}
	}
	return nil
}

// remapUID derives a new UID under the 2.25 root (UUID-derived UIDs, PS3.5
// B.2) from HMAC-SHA-256(key, uid): 128 bits, as decimal.
func remapUID(key []byte, uid string) string {
	if uid == "" {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(uid))
	n := new(big.Int).SetBytes(m.Sum(nil)[:16])
	return "2.25." + n.String()
}

// Pixel data, read straight from the file's bytes.

// PixelDataValue returns the bytes of the value of the top-level Pixel
// Data (7FE0,0010) of a Part 10 file, found without the DICOM library:
// for native pixel data the value as stored, for encapsulated pixel data
// every item (Basic Offset Table and fragments) up to and including the
// sequence delimiter. bo and implicit are the data set's transfer syntax.
func PixelDataValue(file []byte, bo binary.ByteOrder, implicit bool) ([]byte, error) {
	var pat [4]byte
	bo.PutUint16(pat[0:], 0x7FE0)
	bo.PutUint16(pat[2:], 0x0010)
	for from := 0; ; {
		i := bytes.Index(file[from:], pat[:])
		if i < 0 {
			return nil, errors.New("no pixel data")
		}
		at := from + i
		from = at + 1
		if v, end, ok := pixelValueAt(file, at, bo, implicit); ok && (end == len(file) || tagAt(file, end, bo).Group > 0x7FE0) {
			return v, nil
		}
	}
}

func tagAt(b []byte, at int, bo binary.ByteOrder) tag.Tag {
	if at+4 > len(b) {
		return tag.Tag{}
	}
	return tag.Tag{Group: bo.Uint16(b[at:]), Element: bo.Uint16(b[at+2:])}
}

// pixelValueAt reads a Pixel Data element whose tag starts at at.
func pixelValueAt(b []byte, at int, bo binary.ByteOrder, implicit bool) ([]byte, int, bool) {
	p := at + 4
	if !implicit {
		if p+8 > len(b) || (string(b[p:p+2]) != "OB" && string(b[p:p+2]) != "OW") || b[p+2] != 0 || b[p+3] != 0 {
			return nil, 0, false
		}
		p += 4
	}
	if p+4 > len(b) {
		return nil, 0, false
	}
	vl := bo.Uint32(b[p:])
	p += 4
	if vl != 0xFFFFFFFF {
		if uint64(p)+uint64(vl) > uint64(len(b)) {
			return nil, 0, false
		}
		return b[p : p+int(vl)], p + int(vl), true
	}
	// Encapsulated: items (always little endian) up to the delimiter.
	start := p
	for p+8 <= len(b) {
		t := tagAt(b, p, binary.LittleEndian)
		n := binary.LittleEndian.Uint32(b[p+4:])
		p += 8
		switch {
		case t == tag.SequenceDelimitationItem:
			return b[start:p], p, n == 0
		case t != tag.Item || uint64(p)+uint64(n) > uint64(len(b)):
			return nil, 0, false
		}
		p += int(n)
	}
	return nil, 0, false
}

// restoreOffsets puts the Basic Offset Table of the original encapsulated
// pixel data (the first item of value) back into the data set.
func restoreOffsets(ds dicom.Dataset, value []byte) error {
	e, err := ds.FindElementByTag(tag.PixelData)
	if err != nil || e.Value == nil || e.Value.ValueType() != dicom.PixelData {
		return nil
	}
	info := dicom.MustGetPixelDataInfo(e.Value)
	if !info.IsEncapsulated || len(value) < 8 {
		return nil
	}
	n := int(binary.LittleEndian.Uint32(value[4:]))
	if 8+n > len(value) || n%4 != 0 {
		return fmt.Errorf("%w: malformed Basic Offset Table", ErrUnsupported)
	}
	info.Offsets = nil
	for i := 8; i < 8+n; i += 4 {
		info.Offsets = append(info.Offsets, binary.LittleEndian.Uint32(value[i:]))
	}
	v, err := dicom.NewValue(info)
	if err != nil {
		return err
	}
	e.Value = v
	return nil
}

// sameElements compares the data set meant with the one read back from the
// copy, values only (lengths and encodings may differ); pixel data are
// compared separately, byte for byte.
func sameElements(want, got []*dicom.Element, path string) error {
	strip := func(es []*dicom.Element) []*dicom.Element {
		out := make([]*dicom.Element, 0, len(es))
		for _, e := range es {
			if e.Tag != tag.FileMetaInformationGroupLength {
				out = append(out, e)
			}
		}
		return out
	}
	want, got = strip(want), strip(got)
	if len(want) != len(got) {
		return fmt.Errorf("%s: %d elements written, %d read back", orTop(path), len(want), len(got))
	}
	for i, w := range want {
		g := got[i]
		at := path + name(w.Tag)
		if w.Tag != g.Tag {
			return fmt.Errorf("%s: read back as %s", at, g.Tag)
		}
		if w.Value == nil || g.Value == nil {
			if (w.Value == nil) != (g.Value == nil) {
				return fmt.Errorf("%s: value lost", at)
			}
			continue
		}
		if w.Value.ValueType() != g.Value.ValueType() {
			return fmt.Errorf("%s: value read back as another type", at)
		}
		switch w.Value.ValueType() {
		case dicom.PixelData:
			continue
		case dicom.Sequences:
			wi, gi := items(w), items(g)
			if len(wi) != len(gi) {
				return fmt.Errorf("%s: %d items written, %d read back", at, len(wi), len(gi))
			}
			for k := range wi {
				if err := sameElements(wi[k], gi[k], fmt.Sprintf("%s[%d] > ", at, k)); err != nil {
					return err
				}
			}
		case dicom.Strings:
			ws, gs := normStrings(w), normStrings(g)
			if ws != gs {
				return fmt.Errorf("%s: %q read back as %q (character set or encoding not preserved)", at, ws, gs)
			}
		default:
			if fmt.Sprint(w.Value.GetValue()) != fmt.Sprint(g.Value.GetValue()) {
				return fmt.Errorf("%s: value changed on rewriting (%s)", at, g.RawValueRepresentation)
			}
		}
	}
	return nil
}

func orTop(path string) string {
	if path == "" {
		return "data set"
	}
	return strings.TrimSuffix(path, " > ")
}

func normStrings(e *dicom.Element) string {
	return strings.Trim(strings.Join(stringValues(e), `\`), " \x00")
}

func name(t tag.Tag) string {
	if row := TableRow(t); row != nil && row.Tag[1] != 'g' && !strings.Contains(row.Tag, "x") {
		return fmt.Sprintf("%s %s", row.Name, t)
	}
	if info, err := tag.Find(t); err == nil {
		return fmt.Sprintf("%s %s", info.Name, t)
	}
	return t.String()
}
