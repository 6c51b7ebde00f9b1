package study

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
	"github.com/suyashkumar/dicom/pkg/uid"
)

// Attributes are what the index keeps of one instance: its identity and the
// attributes a QIDO-RS search matches on or returns. Strings are the
// element values with their padding removed; a multi-valued element keeps
// its values joined by a backslash, as DICOM encodes them. SeriesNumber and
// InstanceNumber are 0 when the instance has none.
type Attributes struct {
	StudyInstanceUID  string `json:"studyInstanceUID"`
	SeriesInstanceUID string `json:"seriesInstanceUID"`
	SOPInstanceUID    string `json:"sopInstanceUID"`
	SOPClassUID       string `json:"sopClassUID"`
	TransferSyntaxUID string `json:"transferSyntaxUID"`

	PatientID         string `json:"patientID,omitempty"`
	IssuerOfPatientID string `json:"issuerOfPatientID,omitempty"`
	PatientName       string `json:"patientName,omitempty"`
	PatientBirthDate  string `json:"patientBirthDate,omitempty"`
	PatientSex        string `json:"patientSex,omitempty"`

	StudyDate              string `json:"studyDate,omitempty"`
	StudyTime              string `json:"studyTime,omitempty"`
	AccessionNumber        string `json:"accessionNumber,omitempty"`
	StudyID                string `json:"studyID,omitempty"`
	StudyDescription       string `json:"studyDescription,omitempty"`
	ReferringPhysicianName string `json:"referringPhysicianName,omitempty"`

	Modality          string `json:"modality,omitempty"`
	SeriesDescription string `json:"seriesDescription,omitempty"`
	SeriesNumber      int    `json:"seriesNumber,omitempty"`
	InstanceNumber    int    `json:"instanceNumber,omitempty"`
}

// ErrNotDICOM is wrapped by ReadAttributes' error for input that is not a
// DICOM Part 10 file (no 128-byte preamble followed by "DICM").
var ErrNotDICOM = errors.New("not a DICOM Part 10 file: no \"DICM\" after the 128-byte preamble")

// ErrInvalid is wrapped by every other error of ReadAttributes: a Part 10
// file whose file meta or data set is unreadable or lacks what the index
// needs.
var ErrInvalid = errors.New("invalid DICOM instance")

// ReadAttributes parses one instance, a Part 10 file (preamble, "DICM",
// file meta information, data set). The whole data set is parsed, so a
// truncated or malformed file is refused, but pixel data are skipped, not
// decoded nor kept. The four UIDs that identify the instance
// (StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID, SOPClassUID) and
// the file meta's TransferSyntaxUID are required and must be valid UIDs
// (see ValidUID). The data set's SOPInstanceUID is the instance's identity:
// the file meta's Media Storage SOP Instance UID is not compared with it
// (real files disagree, pydicom's RT samples among them).
func ReadAttributes(data []byte) (Attributes, error) {
	return ReadAttributesFrom(bytes.NewReader(data), int64(len(data)))
}

// ReadAttributesFrom is ReadAttributes over the size bytes of r, reading
// them once and holding no more than one element (never pixel data) in
// memory.
func ReadAttributesFrom(r io.Reader, size int64) (a Attributes, err error) {
	// The DICOM library may panic on hostile input (a length it trusts, a
	// sequence nested without end): whatever a PACS or an attacker sends
	// is refused as invalid, never a crash of the bridge.
	defer func() {
		if p := recover(); p != nil {
			a, err = Attributes{}, fmt.Errorf("%w: the DICOM parser gave up on it: %v", ErrInvalid, p)
		}
	}()
	br := bufio.NewReader(io.LimitReader(r, size))
	head, _ := br.Peek(132)
	if len(head) < 132 || string(head[128:132]) != "DICM" {
		return Attributes{}, ErrNotDICOM
	}
	p, err := dicom.NewParser(br, size, nil, dicom.SkipPixelData())
	if err != nil {
		return Attributes{}, fmt.Errorf("%w: no readable file meta information: %v", ErrInvalid, err)
	}
	var ds dicom.Dataset
	for {
		e, err := p.Next()
		if errors.Is(err, dicom.ErrorEndOfDICOM) {
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) && deflated(p.GetMetadata()) && strings.Contains(err.Error(), "reading element tag") {
				// A deflated data set ends where its stream does, before
				// the size of the file (which counts compressed bytes).
				break
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "exceeds current limit") || strings.Contains(err.Error(), "not enough bytes left") {
				return Attributes{}, fmt.Errorf("%w: truncated: an element runs past the end of the data: %v", ErrInvalid, err)
			}
			return Attributes{}, fmt.Errorf("%w: unreadable data set: %v", ErrInvalid, err)
		}
		if wanted[e.Tag] {
			ds.Elements = append(ds.Elements, e)
		}
	}
	return attributesOf(p.GetMetadata(), ds)
}

func deflated(meta dicom.Dataset) bool {
	e, err := meta.FindElementByTag(tag.TransferSyntaxUID)
	if err != nil || e.Value.ValueType() != dicom.Strings {
		return false
	}
	ts := dicom.MustGetStrings(e.Value)
	return len(ts) > 0 && strings.TrimRight(ts[0], " \x00") == uid.DeflatedExplicitVRLittleEndian
}

// wanted are the top-level elements ReadAttributesFrom keeps.
var wanted = map[tag.Tag]bool{
	tag.StudyInstanceUID: true, tag.SeriesInstanceUID: true, tag.SOPInstanceUID: true, tag.SOPClassUID: true,
	tag.PatientID: true, tag.IssuerOfPatientID: true, tag.PatientName: true, tag.PatientBirthDate: true, tag.PatientSex: true,
	tag.StudyDate: true, tag.StudyTime: true, tag.AccessionNumber: true, tag.StudyID: true, tag.StudyDescription: true,
	tag.ReferringPhysicianName: true, tag.Modality: true, tag.SeriesDescription: true, tag.SeriesNumber: true, tag.InstanceNumber: true,
}

// ReadFile reads an instance's attributes from a file and returns an
// Instance that opens the file again when it is written to a container.
func ReadFile(path string) (Instance, error) {
	f, err := os.Open(path)
	if err != nil {
		return Instance{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Instance{}, err
	}
	a, err := ReadAttributesFrom(f, st.Size())
	if err != nil {
		return Instance{}, fmt.Errorf("%s: %w", path, err)
	}
	return Instance{
		Attributes: a,
		Size:       st.Size(),
		Open:       func() (io.ReadCloser, error) { return os.Open(path) },
	}, nil
}

// NewInstance reads an instance's attributes from its bytes and returns an
// Instance over them.
func NewInstance(data []byte) (Instance, error) {
	a, err := ReadAttributes(data)
	if err != nil {
		return Instance{}, err
	}
	return Instance{
		Attributes: a,
		Size:       int64(len(data)),
		Open:       func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}, nil
}

func attributesOf(meta, ds dicom.Dataset) (Attributes, error) {
	str := func(d dicom.Dataset, t tag.Tag) string {
		e, err := d.FindElementByTag(t)
		if err != nil || e.Value == nil || e.Value.ValueType() != dicom.Strings {
			return ""
		}
		vs := dicom.MustGetStrings(e.Value)
		for i, v := range vs {
			vs[i] = strings.TrimRight(v, " \x00")
		}
		return strings.TrimSpace(strings.Join(vs, `\`))
	}
	num := func(t tag.Tag) (int, error) {
		s := str(ds, t)
		if s == "" {
			return 0, nil
		}
		if i := strings.IndexByte(s, '\\'); i >= 0 {
			s = s[:i]
		}
		n, err := strconv.Atoi(strings.TrimPrefix(s, "+"))
		if err != nil {
			return 0, fmt.Errorf("%w: %s %q is not an integer string", ErrInvalid, keywordOf(t), s)
		}
		return n, nil
	}
	a := Attributes{
		StudyInstanceUID:       str(ds, tag.StudyInstanceUID),
		SeriesInstanceUID:      str(ds, tag.SeriesInstanceUID),
		SOPInstanceUID:         str(ds, tag.SOPInstanceUID),
		SOPClassUID:            str(ds, tag.SOPClassUID),
		TransferSyntaxUID:      str(meta, tag.TransferSyntaxUID),
		PatientID:              str(ds, tag.PatientID),
		IssuerOfPatientID:      str(ds, tag.IssuerOfPatientID),
		PatientName:            str(ds, tag.PatientName),
		PatientBirthDate:       str(ds, tag.PatientBirthDate),
		PatientSex:             str(ds, tag.PatientSex),
		StudyDate:              str(ds, tag.StudyDate),
		StudyTime:              str(ds, tag.StudyTime),
		AccessionNumber:        str(ds, tag.AccessionNumber),
		StudyID:                str(ds, tag.StudyID),
		StudyDescription:       str(ds, tag.StudyDescription),
		ReferringPhysicianName: str(ds, tag.ReferringPhysicianName),
		Modality:               str(ds, tag.Modality),
		SeriesDescription:      str(ds, tag.SeriesDescription),
	}
	var err error
	if a.SeriesNumber, err = num(tag.SeriesNumber); err != nil {
		return Attributes{}, err
	}
	if a.InstanceNumber, err = num(tag.InstanceNumber); err != nil {
		return Attributes{}, err
	}
	if len(meta.Elements) == 0 {
		return Attributes{}, fmt.Errorf("%w: no file meta information", ErrInvalid)
	}
	if a.TransferSyntaxUID == "" {
		return Attributes{}, fmt.Errorf("%w: the file meta information has no TransferSyntaxUID (0002,0010)", ErrInvalid)
	}
	if err := a.check(); err != nil {
		return Attributes{}, err
	}
	return a, nil
}

// check verifies the UIDs an index entry needs.
func (a Attributes) check() error {
	for _, u := range []struct {
		t tag.Tag
		v string
	}{
		{tag.StudyInstanceUID, a.StudyInstanceUID},
		{tag.SeriesInstanceUID, a.SeriesInstanceUID},
		{tag.SOPInstanceUID, a.SOPInstanceUID},
		{tag.SOPClassUID, a.SOPClassUID},
		{tag.TransferSyntaxUID, a.TransferSyntaxUID},
	} {
		if u.v == "" {
			return fmt.Errorf("%w: missing %s %s", ErrInvalid, keywordOf(u.t), u.t)
		}
		if err := ValidUID(u.v); err != nil {
			return fmt.Errorf("%w: %s %s: %v", ErrInvalid, keywordOf(u.t), u.t, err)
		}
	}
	return nil
}

func keywordOf(t tag.Tag) string {
	if info, err := tag.Find(t); err == nil {
		return info.Keyword
	}
	return t.String()
}

// ValidUID checks a UID against PS3.5 9.1: at most 64 characters,
// components of digits separated by dots, no empty component and no
// leading zero in a component of more than one digit.
func ValidUID(u string) error {
	if u == "" {
		return errors.New("empty UID")
	}
	if len(u) > 64 {
		return fmt.Errorf("UID %q has %d characters, more than 64", u, len(u))
	}
	for _, c := range strings.Split(u, ".") {
		if c == "" {
			return fmt.Errorf("UID %q has an empty component", u)
		}
		for _, r := range c {
			if r < '0' || r > '9' {
				return fmt.Errorf("UID %q has a character other than digits and dots", u)
			}
		}
		if len(c) > 1 && c[0] == '0' {
			return fmt.Errorf("UID %q has a component with a leading zero", u)
		}
	}
	return nil
}
