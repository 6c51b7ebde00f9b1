package deid

import (
	"bytes"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Sample UIDs of IdentifiedSample.
const (
	SampleStudyUID = "1.2.826.0.1.3680043.10.1393.1"
	SampleSOPUID   = "1.2.826.0.1.3680043.10.1393.3"
)

// SampleIdentifyingValues are the identifying values IdentifiedSample
// holds; none may be left in its de-identified copy.
var SampleIdentifyingValues = []string{"Doe^Jane", "MRN-123456", "19800101", "NHS-999", "Smith^Jane", "046Y",
	"1 Baker Street", "ACC-42", "St Mary's", "Praed Street", "House^Gregory", "Grey^Meredith", "Tech^Tom",
	"MRI-3", "SN-0001", "ACME PRIVATE", "burned-in name", SampleStudyUID, SampleSOPUID}

// IdentifiedSample is a small synthetic MR image (no real person) that
// carries every attribute the profile changes, a private tag, an overlay
// and a sequence referencing the instance's own UID: the input the tests
// and the data-NFT demo de-identify.
func IdentifiedSample() ([]byte, error) {
	var firstErr error
	el := func(tg tag.Tag, v any) *dicom.Element {
		e, err := dicom.NewElement(tg, v)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return e
	}
	raw := func(tg tag.Tag, s string) *dicom.Element {
		v, err := dicom.NewValue([]string{s})
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return &dicom.Element{Tag: tg, ValueRepresentation: tag.VRString, RawValueRepresentation: "LO",
			ValueLength: uint32(len(s) + len(s)%2), Value: v}
	}
	ds := dicom.Dataset{Elements: []*dicom.Element{
		el(tag.MediaStorageSOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.4"}),
		el(tag.MediaStorageSOPInstanceUID, []string{SampleSOPUID}),
		el(tag.TransferSyntaxUID, []string{"1.2.840.10008.1.2.1"}),
		el(tag.SOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.4"}),
		el(tag.SOPInstanceUID, []string{SampleSOPUID}),
		el(tag.AccessionNumber, []string{"ACC-42"}),
		el(tag.Modality, []string{"MR"}),
		el(tag.InstitutionName, []string{"St Mary's Hospital"}),
		el(tag.InstitutionAddress, []string{"Praed Street, London"}),
		el(tag.ReferringPhysicianName, []string{"House^Gregory"}),
		el(tag.StationName, []string{"MRI-3"}),
		el(tag.PerformingPhysicianName, []string{"Grey^Meredith"}),
		el(tag.OperatorsName, []string{"Tech^Tom"}),
		el(tag.ReferencedImageSequence, [][]*dicom.Element{{
			el(tag.ReferencedSOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.4"}),
			el(tag.ReferencedSOPInstanceUID, []string{SampleSOPUID}),
		}}),
		raw(tag.Tag{Group: 0x0009, Element: 0x0010}, "ACME PRIVATE"),
		el(tag.PatientName, []string{"Doe^Jane"}),
		el(tag.PatientID, []string{"MRN-123456"}),
		el(tag.PatientBirthDate, []string{"19800101"}),
		el(tag.PatientSex, []string{"F"}),
		el(tag.OtherPatientIDs, []string{"NHS-999"}),
		el(tag.OtherPatientNames, []string{"Smith^Jane"}),
		el(tag.PatientAge, []string{"046Y"}),
		el(tag.PatientAddress, []string{"1 Baker Street"}),
		el(tag.DeviceSerialNumber, []string{"SN-0001"}),
		el(tag.StudyInstanceUID, []string{SampleStudyUID}),
		el(tag.SeriesInstanceUID, []string{"1.2.826.0.1.3680043.10.1393.2"}),
		el(tag.FrameOfReferenceUID, []string{"1.2.826.0.1.3680043.10.1393.4"}),
		el(tag.Rows, []int{2}),
		el(tag.Columns, []int{2}),
		raw(tag.Tag{Group: 0x6000, Element: 0x0022}, "burned-in name"),
	}}
	if firstErr != nil {
		return nil, firstErr
	}
	var buf bytes.Buffer
	if err := dicom.Write(&buf, ds, dicom.SkipVRVerification()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
