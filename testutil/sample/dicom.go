package sample

import (
	"bytes"
	"sort"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// UIDs of IdentifiedDICOM.
const (
	StudyUID = "1.2.826.0.1.3680043.10.1393.1"
	SOPUID   = "1.2.826.0.1.3680043.10.1393.3"
	// SourceUID is the instance the sample says it was derived from
	// (Source Image Sequence).
	SourceUID = "1.2.826.0.1.3680043.10.1393.5"
)

// IdentifyingValues are the identifying values IdentifiedDICOM holds;
// none may be left in its de-identified copy.
var IdentifyingValues = []string{"Doe^Jane", "MRN-123456", "19800101", "NHS-999", "Smith^Jane", "046Y",
	"1 Baker Street", "ACC-42", "St Mary's", "Praed Street", "House^Gregory", "Grey^Meredith", "Tech^Tom",
	"MRI-3", "SN-0001", "ACME PRIVATE", "burned-in name", "Knee of Jane Doe", "JD-PLAN", "20240315",
	StudyUID, SOPUID, SourceUID}

// IdentifiedDICOM is a small synthetic MR image (no real person) that
// carries attributes of every kind of action of the profile (X, Z, D, U,
// the combinations Z/D, X/D, X/Z, X/Z/D, X/Z/U*), dates, times and date
// times (top level and inside a sequence), a private tag, an overlay and
// sequences referencing the instance's own UID and its source's: the
// input the tests and the data-NFT demo de-identify. Burned In Annotation
// is NO.
func IdentifiedDICOM() ([]byte, error) {
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
		el(tag.MediaStorageSOPInstanceUID, []string{SOPUID}),
		el(tag.TransferSyntaxUID, []string{"1.2.840.10008.1.2.1"}),
		el(tag.SOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.4"}),
		el(tag.SOPInstanceUID, []string{SOPUID}),
		el(tag.StudyDate, []string{"20240315"}),
		el(tag.SeriesDate, []string{"20240315"}),
		el(tag.ContentDate, []string{"20240316"}),
		el(tag.AcquisitionDateTime, []string{"20240315101530.5+0100"}),
		el(tag.StudyTime, []string{"101500"}),
		el(tag.AccessionNumber, []string{"ACC-42"}),
		el(tag.Modality, []string{"MR"}),
		el(tag.InstitutionName, []string{"St Mary's Hospital"}),
		el(tag.InstitutionAddress, []string{"Praed Street, London"}),
		el(tag.ReferringPhysicianName, []string{"House^Gregory"}),
		el(tag.StationName, []string{"MRI-3"}),
		el(tag.PerformingPhysicianName, []string{"Grey^Meredith"}),
		el(tag.OperatorsName, []string{"Tech^Tom"}),
		el(tag.StudyDescription, []string{"Knee of Jane Doe"}),
		el(tag.ReferencedStudySequence, [][]*dicom.Element{{
			el(tag.ReferencedSOPClassUID, []string{"1.2.840.10008.3.1.2.3.1"}),
			el(tag.ReferencedSOPInstanceUID, []string{StudyUID}),
		}}),
		el(tag.ReferencedImageSequence, [][]*dicom.Element{{
			el(tag.ReferencedSOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.4"}),
			el(tag.ReferencedSOPInstanceUID, []string{SOPUID}),
		}}),
		el(tag.SourceImageSequence, [][]*dicom.Element{{
			el(tag.ReferencedSOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.4"}),
			el(tag.ReferencedSOPInstanceUID, []string{SourceUID}),
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
		el(tag.StudyInstanceUID, []string{StudyUID}),
		el(tag.SeriesInstanceUID, []string{"1.2.826.0.1.3680043.10.1393.2"}),
		el(tag.FrameOfReferenceUID, []string{"1.2.826.0.1.3680043.10.1393.4"}),
		el(tag.RadiopharmaceuticalInformationSequence, [][]*dicom.Element{{
			el(tag.RadiopharmaceuticalStartDateTime, []string{"20240315093000"}),
		}}),
		el(tag.SamplesPerPixel, []int{1}),
		el(tag.PhotometricInterpretation, []string{"MONOCHROME2"}),
		el(tag.Rows, []int{2}),
		el(tag.Columns, []int{2}),
		el(tag.BitsAllocated, []int{8}),
		el(tag.BitsStored, []int{8}),
		el(tag.HighBit, []int{7}),
		el(tag.PixelRepresentation, []int{0}),
		el(tag.BurnedInAnnotation, []string{"NO"}),
		el(tag.RTPlanLabel, []string{"JD-PLAN"}),
		raw(tag.Tag{Group: 0x6000, Element: 0x0022}, "burned-in name"),
	}}
	if firstErr != nil {
		return nil, firstErr
	}
	pixels, err := dicom.NewValue(dicom.PixelDataInfo{IntentionallyUnprocessed: true, UnprocessedValueData: []byte{0, 64, 128, 255}})
	if err != nil {
		return nil, err
	}
	ds.Elements = append(ds.Elements, &dicom.Element{Tag: tag.PixelData, ValueRepresentation: tag.VRPixelData,
		RawValueRepresentation: "OB", ValueLength: 4, Value: pixels})
	sort.SliceStable(ds.Elements, func(i, j int) bool {
		a, b := ds.Elements[i].Tag, ds.Elements[j].Tag
		return a.Group < b.Group || (a.Group == b.Group && a.Element < b.Element)
	})
	var buf bytes.Buffer
	if err := dicom.Write(&buf, ds, dicom.SkipVRVerification()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
