package study

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func entry(study, series, sop string, seriesNumber, instanceNumber int, modality string) Entry {
	a := Attributes{
		StudyInstanceUID: study, SeriesInstanceUID: series, SOPInstanceUID: sop,
		SOPClassUID: "1.2.840.10008.5.1.4.1.1.2", TransferSyntaxUID: "1.2.840.10008.1.2.1",
		Modality: modality, SeriesNumber: seriesNumber, InstanceNumber: instanceNumber,
	}
	return Entry{Attributes: a, Size: 100, SHA256: zeroHash, Name: MemberName(a)}
}

// qidoStudies are two studies: Doe's CT+MR of 2004 and Roe's US of 2021.
func qidoStudies() []Index {
	doe := Index{Format: Format, StudyInstanceUID: "1.2.3.1", Instances: []Entry{
		entry("1.2.3.1", "1.2.3.1.1", "1.2.3.1.1.1", 1, 1, "CT"),
		entry("1.2.3.1", "1.2.3.1.1", "1.2.3.1.1.2", 1, 2, "CT"),
		entry("1.2.3.1", "1.2.3.1.2", "1.2.3.1.2.1", 2, 1, "MR"),
	}}
	for i := range doe.Instances {
		a := &doe.Instances[i].Attributes
		a.PatientName, a.PatientID, a.IssuerOfPatientID = "Doe^John", "PID-7", "HOSP"
		a.PatientBirthDate, a.PatientSex = "19700101", "M"
		a.StudyDate, a.StudyTime, a.AccessionNumber = "20040119", "072730", "ACC1"
		a.StudyID, a.StudyDescription, a.ReferringPhysicianName = "S1", "Chest", "House^Gregory"
	}
	doe.Instances[2].SeriesDescription = "T1 axial"
	roe := Index{Format: Format, StudyInstanceUID: "1.2.3.2", Instances: []Entry{
		entry("1.2.3.2", "1.2.3.2.1", "1.2.3.2.1.1", 1, 1, "US"),
	}}
	a := &roe.Instances[0].Attributes
	a.PatientName, a.PatientID, a.StudyDate, a.StudyTime = "Roe^Jane=ロー^ジェーン", "pid-9", "2021.06.30", "14:05:00"
	for _, idx := range []Index{doe, roe} {
		if err := idx.Check(); err != nil {
			panic(err)
		}
	}
	return []Index{doe, roe}
}

func studyUIDs(t *testing.T, q url.Values) []string {
	t.Helper()
	query, err := ParseQuery(q, StudyLevel)
	require.NoError(t, err, q.Encode())
	var out []string
	for _, s := range query.Studies(qidoStudies()) {
		out = append(out, s["0020000D"].(map[string]any)["Value"].([]any)[0].(string))
	}
	return out
}

func TestQIDOStudyMatching(t *testing.T) {
	both, doe, roe, none := []string{"1.2.3.1", "1.2.3.2"}, []string{"1.2.3.1"}, []string{"1.2.3.2"}, []string(nil)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"", both},
		// PN: wildcards, case-insensitive; a plain value matches the whole name.
		{"PatientName=doe*", doe},
		{"PatientName=DOE%5EJOHN", doe},
		{"PatientName=Doe", none},
		{"PatientName=*o?%5Ej*", both},
		{"PatientName=R*", roe},
		{"00100010=*john", doe},
		{"ReferringPhysicianName=house*", doe},
		// Other strings: exact and case-sensitive, wildcards allowed.
		{"PatientID=PID-7", doe},
		{"PatientID=pid-7", none},
		{"PatientID=p*", roe},
		{"PatientID=", both}, // universal matching
		{"AccessionNumber=ACC1", doe},
		{"AccessionNumber=*", both},
		{"IssuerOfPatientID=HOSP", doe},
		// Dates: single, ranges, open ranges; the old dotted form stored.
		{"StudyDate=20040119", doe},
		{"StudyDate=20040101-20041231", doe},
		{"StudyDate=20040120-", roe},
		{"StudyDate=-20040119", doe},
		{"StudyDate=20000101-20300101", both},
		{"StudyDate=20210630", roe},
		{"PatientBirthDate=19700101", doe},
		{"StudyTime=070000-080000", doe},
		{"StudyTime=14-", roe},
		{"StudyTime=140500", roe},
		// UID lists, comma or backslash separated; tag keys in either case.
		{"StudyInstanceUID=1.2.3.2", roe},
		{"StudyInstanceUID=1.2.3.9,1.2.3.1", doe},
		{"StudyInstanceUID=1.2.3.1%5C1.2.3.2", both},
		{"0020000d=1.2.3.2", roe},
		// ModalitiesInStudy: any modality; a key repeated is an OR.
		{"ModalitiesInStudy=MR", doe},
		{"ModalitiesInStudy=US", roe},
		{"ModalitiesInStudy=XA", none},
		{"ModalitiesInStudy=XA&ModalitiesInStudy=US", roe},
		// Keys combine with AND.
		{"PatientName=*&StudyDate=2004-&ModalitiesInStudy=CT", none},
		{"PatientName=d*&StudyDate=20040101-&ModalitiesInStudy=CT", doe},
		// Paging and the parameters ignored.
		{"limit=1", doe},
		{"offset=1", roe},
		{"offset=1&limit=5", roe},
		{"offset=5", none},
		{"includefield=all&includefield=00081030,PatientAge&fuzzymatching=false", both},
	} {
		q, err := url.ParseQuery(tc.q)
		require.NoError(t, err)
		if tc.q == "PatientName=*&StudyDate=2004-&ModalitiesInStudy=CT" {
			_, err := ParseQuery(q, StudyLevel)
			require.ErrorIs(t, err, ErrBadQuery, "2004 is not a date")
			continue
		}
		require.Equal(t, tc.want, studyUIDs(t, q), tc.q)
	}
}

func TestQIDOBadQueries(t *testing.T) {
	for _, tc := range []struct {
		q     string
		level Level
		msg   string
	}{
		{"PatientWeight=70", StudyLevel, `unknown parameter "PatientWeight"`},
		{"foo=bar", InstanceLevel, "unknown parameter"},
		{"Modality=CT", StudyLevel, "Modality is a series attribute, not a key of a study search"},
		{"SOPInstanceUID=1.2", SeriesLevel, "not a key of a series search"},
		{"StudyDate=2004-01-19", StudyLevel, "YYYYMMDD"},
		{"StudyDate=20040101-20040201-20040301", StudyLevel, "range"},
		{"StudyTime=25h", StudyLevel, "HH[MM[SS"},
		{"StudyInstanceUID=1.2.03", StudyLevel, "leading zero"},
		{"SeriesNumber=two", SeriesLevel, "integer"},
		{"limit=-1", StudyLevel, "limit"},
		{"offset=x", StudyLevel, "offset"},
		{"NumberOfStudyRelatedInstances=3", StudyLevel, "cannot be matched"},
		{"fuzzymatching=maybe", StudyLevel, "fuzzymatching"},
	} {
		q, err := url.ParseQuery(tc.q)
		require.NoError(t, err)
		_, err = ParseQuery(q, tc.level)
		require.ErrorIs(t, err, ErrBadQuery, tc.q)
		require.ErrorContains(t, err, tc.msg, tc.q)
	}
}

func TestQIDOSeriesAndInstances(t *testing.T) {
	studies := qidoStudies()
	series := func(q string) []string {
		v, _ := url.ParseQuery(q)
		query, err := ParseQuery(v, SeriesLevel)
		require.NoError(t, err)
		var out []string
		for _, s := range query.Series(studies) {
			out = append(out, s["0020000E"].(map[string]any)["Value"].([]any)[0].(string))
			// Study attributes come with each series.
			require.Contains(t, s, "0020000D")
		}
		return out
	}
	require.Equal(t, []string{"1.2.3.1.1", "1.2.3.1.2", "1.2.3.2.1"}, series(""))
	require.Equal(t, []string{"1.2.3.1.2"}, series("Modality=MR"))
	require.Equal(t, []string{"1.2.3.1.1", "1.2.3.2.1"}, series("SeriesNumber=1"))
	require.Equal(t, []string{"1.2.3.1.1", "1.2.3.1.2"}, series("StudyInstanceUID=1.2.3.1"))
	require.Equal(t, []string{"1.2.3.1.2"}, series("SeriesDescription=T1*"))
	require.Equal(t, []string{"1.2.3.2.1"}, series("SeriesInstanceUID=1.2.3.2.1,1.2.3.9"))
	require.Equal(t, []string{"1.2.3.1.2"}, series("PatientName=DOE*&Modality=MR"))

	instances := func(q string) []string {
		v, _ := url.ParseQuery(q)
		query, err := ParseQuery(v, InstanceLevel)
		require.NoError(t, err)
		var out []string
		for _, s := range query.Instances(studies) {
			out = append(out, s["00080018"].(map[string]any)["Value"].([]any)[0].(string))
			require.Contains(t, s, "0020000E")
			require.Contains(t, s, "0020000D")
		}
		return out
	}
	require.Len(t, instances(""), 4)
	require.Equal(t, []string{"1.2.3.1.1.2"}, instances("InstanceNumber=2"))
	require.Equal(t, []string{"1.2.3.1.1.1", "1.2.3.1.1.2"}, instances("SeriesInstanceUID=1.2.3.1.1"))
	require.Equal(t, []string{"1.2.3.2.1.1"}, instances("SOPInstanceUID=1.2.3.2.1.1"))
	require.Equal(t, []string{"1.2.3.1.1.2", "1.2.3.1.2.1"}, instances("offset=1&limit=2"))
	require.Empty(t, instances("SOPClassUID=1.2.840.10008.5.1.4.1.1.4"))
}

func TestDICOMJSON(t *testing.T) {
	studies := qidoStudies()
	js, err := json.Marshal(StudyJSON(studies[0]))
	require.NoError(t, err)
	require.JSONEq(t, `{
		"00080020": {"vr": "DA", "Value": ["20040119"]},
		"00080030": {"vr": "TM", "Value": ["072730"]},
		"00080050": {"vr": "SH", "Value": ["ACC1"]},
		"00080061": {"vr": "CS", "Value": ["CT", "MR"]},
		"00080090": {"vr": "PN", "Value": [{"Alphabetic": "House^Gregory"}]},
		"00081030": {"vr": "LO", "Value": ["Chest"]},
		"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^John"}]},
		"00100020": {"vr": "LO", "Value": ["PID-7"]},
		"00100021": {"vr": "LO", "Value": ["HOSP"]},
		"00100030": {"vr": "DA", "Value": ["19700101"]},
		"00100040": {"vr": "CS", "Value": ["M"]},
		"0020000D": {"vr": "UI", "Value": ["1.2.3.1"]},
		"00200010": {"vr": "SH", "Value": ["S1"]},
		"00201206": {"vr": "IS", "Value": [2]},
		"00201208": {"vr": "IS", "Value": [3]}
	}`, string(js))

	// Empty attributes are left out; PN groups split.
	js, err = json.Marshal(StudyJSON(studies[1]))
	require.NoError(t, err)
	var roe map[string]any
	require.NoError(t, json.Unmarshal(js, &roe))
	require.NotContains(t, roe, "00080050")
	require.NotContains(t, roe, "00100030")
	require.Equal(t, map[string]any{"vr": "PN", "Value": []any{map[string]any{"Alphabetic": "Roe^Jane", "Ideographic": "ロー^ジェーン"}}}, roe["00100010"])

	js, err = json.Marshal(SeriesJSON(studies[0], "1.2.3.1.2"))
	require.NoError(t, err)
	require.JSONEq(t, `{
		"00080060": {"vr": "CS", "Value": ["MR"]},
		"0008103E": {"vr": "LO", "Value": ["T1 axial"]},
		"0020000D": {"vr": "UI", "Value": ["1.2.3.1"]},
		"0020000E": {"vr": "UI", "Value": ["1.2.3.1.2"]},
		"00200011": {"vr": "IS", "Value": [2]},
		"00201209": {"vr": "IS", "Value": [1]}
	}`, string(js))
	require.Nil(t, SeriesJSON(studies[0], "9.9"))

	js, err = json.Marshal(InstanceJSON(studies[0].Instances[1]))
	require.NoError(t, err)
	require.JSONEq(t, `{
		"00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
		"00080018": {"vr": "UI", "Value": ["1.2.3.1.1.2"]},
		"00083002": {"vr": "UI", "Value": ["1.2.840.10008.1.2.1"]},
		"0020000D": {"vr": "UI", "Value": ["1.2.3.1"]},
		"0020000E": {"vr": "UI", "Value": ["1.2.3.1.1"]},
		"00200013": {"vr": "IS", "Value": [2]}
	}`, string(js))
}

// TestQIDOOnContainer searches the index of a container made of real
// files.
func TestQIDOOnContainer(t *testing.T) {
	instances, _ := build(t, testInstances)
	_, idx := write(t, instances)
	q, err := ParseQuery(url.Values{"PatientName": {"compressedsamples*"}, "ModalitiesInStudy": {"MR"}}, StudyLevel)
	require.NoError(t, err)
	res := q.Studies([]Index{idx})
	require.Len(t, res, 1)
	require.Equal(t, map[string]any{"vr": "CS", "Value": []any{"CT", "MR", "NM"}}, res[0]["00080061"])
	require.Equal(t, map[string]any{"vr": "IS", "Value": []any{3}}, res[0]["00201206"])
	require.Equal(t, map[string]any{"vr": "IS", "Value": []any{5}}, res[0]["00201208"])
	// The first instance in container order (CT_small) gives the patient.
	require.Equal(t, map[string]any{"vr": "PN", "Value": []any{map[string]any{"Alphabetic": "CompressedSamples^CT1"}}}, res[0]["00100010"])

	q, err = ParseQuery(url.Values{"Modality": {"MR"}}, InstanceLevel)
	require.NoError(t, err)
	require.Len(t, q.Instances([]Index{idx}), 3)
}
