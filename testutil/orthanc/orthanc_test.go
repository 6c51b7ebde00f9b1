package orthanc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// corpus is the pydicom corpus directory (MEDCHAIN_DICOM_CORPUS, which
// `make test-unit` sets from scripts/dicom-corpus.sh).
func corpus(t *testing.T) string {
	dir := os.Getenv("MEDCHAIN_DICOM_CORPUS")
	if dir == "" {
		t.Skip("MEDCHAIN_DICOM_CORPUS is not set: run `export MEDCHAIN_DICOM_CORPUS=$(scripts/dicom-corpus.sh)`")
	}
	return dir
}

// requireOrthanc skips before any study is made when Orthanc is missing.
func requireOrthanc(t *testing.T) {
	if _, _, ok := Binary(); !ok {
		t.Skip("Orthanc with the DICOMweb plugin is not installed: " + installHint)
	}
}

// bySOP keys a study's files by SOPInstanceUID.
func bySOP(t *testing.T, files [][]byte) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range files {
		_, _, sop := UIDs(t, f)
		out[sop] = f
	}
	return out
}

func sameFiles(t *testing.T, want, got map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d instances, %d expected", len(got), len(want))
	}
	for sop, w := range want {
		g, ok := got[sop]
		if !ok {
			t.Fatalf("instance %s is missing", sop)
		}
		if !bytes.Equal(g, w) {
			t.Fatalf("instance %s: %d bytes differ from the %d sent", sop, len(g), len(w))
		}
	}
}

func TestMakeStudy(t *testing.T) {
	files := MakeStudy(t, corpus(t), 2, 3, "PAT-1", "HOSPITAL-A")
	if len(files) != 6 {
		t.Fatalf("%d files", len(files))
	}
	studies, series, sops := map[string]bool{}, map[string]int{}, map[string]bool{}
	for _, f := range files {
		ds, err := parse(f)
		if err != nil {
			t.Fatal(err)
		}
		st, se, sop := UIDs(t, f)
		studies[st], sops[sop] = true, true
		series[se]++
		if !strings.HasPrefix(sop, "2.25.") || len(sop) > 64 {
			t.Fatalf("SOPInstanceUID %q", sop)
		}
		if got := stringValue(ds, tag.MediaStorageSOPInstanceUID); got != sop {
			t.Fatalf("MediaStorageSOPInstanceUID %q, SOPInstanceUID %q", got, sop)
		}
		if stringValue(ds, tag.PatientID) != "PAT-1" || stringValue(ds, tag.IssuerOfPatientID) != "HOSPITAL-A" {
			t.Fatalf("patient %q / %q", stringValue(ds, tag.PatientID), stringValue(ds, tag.IssuerOfPatientID))
		}
	}
	if len(studies) != 1 || len(series) != 2 || len(sops) != 6 || series[func() string { _, s, _ := UIDs(t, files[0]); return s }()] != 3 {
		t.Fatalf("%d studies, series %v, %d instances", len(studies), series, len(sops))
	}
}

// TestUploadAndReadBack stores a made study in a real Orthanc (with HTTP
// authentication on) and reads every file back byte for byte.
func TestUploadAndReadBack(t *testing.T) {
	requireOrthanc(t)
	files := MakeStudy(t, corpus(t), 2, 3, "PAT-1", "HOSPITAL-A")
	study, _, _ := UIDs(t, files[0])
	o := Start(t, Options{Name: "A", Username: "tester", Password: "pw"})
	resp, err := http.Get(o.URL() + "/system")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /system without credentials: %s, want 401", resp.Status)
	}
	for _, f := range files {
		o.Upload(t, f)
	}
	id := o.FindStudy(t, study)
	if id == "" {
		t.Fatal("the study is not found by its StudyInstanceUID")
	}
	if got := o.Studies(t); len(got) != 1 || got[0] != id {
		t.Fatalf("studies %v, want [%s]", got, id)
	}
	sameFiles(t, bySOP(t, files), o.StudyInstances(t, study))
	if got := o.StudyInstances(t, NewUID()); len(got) != 0 {
		t.Fatalf("an unknown study has %d instances", len(got))
	}
}

// request is what the stub DICOMweb server received.
type request struct {
	Method, Path, Query string
	Header              http.Header
	TransferEncoding    []string
	ContentLength       int64
	Parts               [][]byte
	PartHeaders         []textproto.MIMEHeader
}

// stub is a minimal DICOMweb server: STOW-RS (POST /dicom-web/studies),
// WADO-RS Retrieve Study (GET /dicom-web/studies/{uid}) and QIDO-RS
// Search for Studies (GET /dicom-web/studies?...), all behind a bearer
// token.
type stub struct {
	token string

	mu       sync.Mutex
	requests []request
	studies  map[string][][]byte // StudyInstanceUID -> files (for WADO-RS)
}

func newStub(t *testing.T, token string) (*stub, *httptest.Server) {
	s := &stub{token: token, studies: map[string][][]byte{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *stub) record(r request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

func (s *stub) received() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.requests...)
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(),
		TransferEncoding: r.TransferEncoding, ContentLength: r.ContentLength}
	if r.Method == http.MethodPost {
		parts, headers, err := readMultipart(r)
		if err != nil {
			s.record(rec)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.Parts, rec.PartHeaders = parts, headers
	}
	s.record(rec)
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/dicom-web")
	switch {
	case r.Method == http.MethodPost && path == "/studies":
		s.stow(w, rec.Parts)
	case r.Method == http.MethodGet && path == "/studies":
		s.qido(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/studies/") && !strings.Contains(path[len("/studies/"):], "/"):
		s.wado(w, path[len("/studies/"):])
	default:
		http.NotFound(w, r)
	}
}

func readMultipart(r *http.Request) ([][]byte, []textproto.MIMEHeader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, nil, err
	}
	if mt != "multipart/related" || params["type"] != "application/dicom" {
		return nil, nil, fmt.Errorf("content type %s %v", mt, params)
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var parts [][]byte
	var headers []textproto.MIMEHeader
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts, headers, nil
		}
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, err
		}
		parts, headers = append(parts, b), append(headers, p.Header)
	}
}

// stow answers a STOW-RS request with the DICOM JSON Store Instances
// Response (PS3.18 10.5.3): every part in Referenced SOP Sequence.
func (s *stub) stow(w http.ResponseWriter, parts [][]byte) {
	var refs []map[string]any
	for _, p := range parts {
		ds, err := parse(p)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		refs = append(refs, map[string]any{
			"00081150": map[string]any{"vr": "UI", "Value": []string{stringValue(ds, tag.SOPClassUID)}},
			"00081155": map[string]any{"vr": "UI", "Value": []string{stringValue(ds, tag.SOPInstanceUID)}},
		})
	}
	w.Header().Set("Content-Type", "application/dicom+json")
	_ = json.NewEncoder(w).Encode(map[string]any{"00081199": map[string]any{"vr": "SQ", "Value": refs}})
}

// wado answers WADO-RS Retrieve Study with the study's files as they are.
func (s *stub) wado(w http.ResponseWriter, studyUID string) {
	s.mu.Lock()
	files := s.studies[studyUID]
	s.mu.Unlock()
	if len(files) == 0 {
		http.NotFound(w, nil)
		return
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/dicom"}})
		if err != nil {
			panic(err)
		}
		_, _ = pw.Write(f)
	}
	_ = mw.Close()
	w.Header().Set("Content-Type", fmt.Sprintf(`multipart/related; type="application/dicom"; boundary=%s`, mw.Boundary()))
	_, _ = w.Write(body.Bytes())
}

// qido answers Search for Studies with one DICOM JSON object per study
// whose PatientID matches.
func (s *stub) qido(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for uid, files := range s.studies {
		ds, err := parse(files[0])
		if err != nil {
			panic(err)
		}
		pid := stringValue(ds, tag.PatientID)
		if q := r.URL.Query().Get("PatientID"); q != "" && q != pid {
			continue
		}
		out = append(out, map[string]any{
			"0020000D": map[string]any{"vr": "UI", "Value": []string{uid}},
			"00100020": map[string]any{"vr": "LO", "Value": []string{pid}},
		})
	}
	w.Header().Set("Content-Type", "application/dicom+json")
	_ = json.NewEncoder(w).Encode(out)
}

func describe(rs []request) string {
	var b strings.Builder
	for _, r := range rs {
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&b, "%s %s?%s TE=%v CL=%d parts=%d\n", r.Method, r.Path, r.Query, r.TransferEncoding, r.ContentLength, len(r.Parts))
		for _, k := range keys {
			fmt.Fprintf(&b, "    %s: %s\n", k, strings.Join(r.Header[k], " | "))
		}
		for i, h := range r.PartHeaders {
			fmt.Fprintf(&b, "    part %d: %v (%d bytes)\n", i, h, len(r.Parts[i]))
		}
	}
	return b.String()
}

// TestStowToDICOMwebServer has Orthanc's own DICOMweb client push a study
// to a STOW-RS receiver: the parts arrive byte for byte, with the bearer
// token of the server's configuration; a wrong token is a refusal Stow
// reports.
func TestStowToDICOMwebServer(t *testing.T) {
	requireOrthanc(t)
	files := MakeStudy(t, corpus(t), 2, 3, "PAT-2", "HOSPITAL-A")
	study, _, _ := UIDs(t, files[0])
	st, srv := newStub(t, "s3cret")
	o := Start(t, Options{Name: "A", Servers: map[string]RemoteServer{
		"bridge":   {URL: srv.URL + "/dicom-web/", Headers: map[string]string{"Authorization": "Bearer s3cret"}},
		"badtoken": {URL: srv.URL + "/dicom-web", Headers: map[string]string{"Authorization": "Bearer wrong"}},
		"nochunk": {URL: srv.URL + "/dicom-web/", Headers: map[string]string{"Authorization": "Bearer s3cret"},
			Extra: map[string]any{"ChunkedTransfers": false}},
	}})
	for _, f := range files {
		o.Upload(t, f)
	}
	id := o.FindStudy(t, study)

	if err := o.Stow(t, "bridge", []string{id}); err != nil {
		t.Fatalf("stow: %v", err)
	}
	rs := st.received()
	t.Logf("STOW-RS requests:\n%s", describe(rs))
	got := map[string][]byte{}
	for _, r := range rs {
		if r.Method != http.MethodPost || r.Path != "/dicom-web/studies" {
			t.Fatalf("unexpected request %s %s", r.Method, r.Path)
		}
		if a := r.Header.Get("Authorization"); a != "Bearer s3cret" {
			t.Fatalf("Authorization %q", a)
		}
		for i, p := range r.Parts {
			if ct := r.PartHeaders[i].Get("Content-Type"); ct != "application/dicom" {
				t.Fatalf("part content type %q", ct)
			}
			_, _, sop := UIDs(t, p)
			got[sop] = p
		}
	}
	sameFiles(t, bySOP(t, files), got)
	if len(rs) != 1 || len(rs[0].TransferEncoding) != 1 || rs[0].TransferEncoding[0] != "chunked" {
		t.Fatalf("%d requests, the first with Transfer-Encoding %v: one chunked request was expected", len(rs), rs[0].TransferEncoding)
	}

	// Without chunked transfers: the same body with a Content-Length.
	n := len(st.received())
	if err := o.Stow(t, "nochunk", []string{id}); err != nil {
		t.Fatalf("stow without chunked transfers: %v", err)
	}
	if rs := st.received()[n:]; len(rs) != 1 || len(rs[0].TransferEncoding) != 0 || rs[0].ContentLength <= 0 || len(rs[0].Parts) != len(files) {
		t.Fatalf("stow without chunked transfers:\n%s", describe(rs))
	}

	n = len(st.received())
	err := o.Stow(t, "badtoken", []string{id})
	if err == nil {
		t.Fatal("a refused STOW-RS was reported as a success")
	}
	t.Logf("refused stow: %v", err)
	if len(st.received()) == n {
		t.Fatal("the refused STOW-RS never reached the server")
	}
	if err := o.Stow(t, "nosuchserver", []string{id}); err == nil {
		t.Fatal("a STOW-RS to an unknown server was reported as a success")
	}
}

// TestRetrieveFromDICOMwebServer has Orthanc's DICOMweb client fetch a
// study from a WADO-RS server and store it byte for byte, and search it
// with QIDO-RS through Orthanc.
func TestRetrieveFromDICOMwebServer(t *testing.T) {
	requireOrthanc(t)
	files := MakeStudy(t, corpus(t), 2, 3, "PAT-3", "HOSPITAL-A")
	study, _, _ := UIDs(t, files[0])
	st, srv := newStub(t, "t0ken")
	st.studies[study] = files
	o := Start(t, Options{Name: "B", Servers: map[string]RemoteServer{
		"bridge": {URL: srv.URL + "/dicom-web/", Headers: map[string]string{"Authorization": "Bearer t0ken"}},
	}})

	if err := o.Retrieve(t, "bridge", study); err != nil {
		t.Fatalf("retrieve: %v", err)
	}
	t.Logf("WADO-RS requests:\n%s", describe(st.received()))
	sameFiles(t, bySOP(t, files), o.StudyInstances(t, study))

	n := len(st.received())
	ans, err := o.Qido(t, "bridge", "/studies?PatientID=PAT-3")
	if err != nil {
		t.Fatalf("qido: %v", err)
	}
	t.Logf("QIDO-RS requests:\n%s", describe(st.received()[n:]))
	var found []map[string]struct{ Value []string }
	if err := json.Unmarshal(ans, &found); err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || len(found[0]["0020000D"].Value) != 1 || found[0]["0020000D"].Value[0] != study {
		t.Fatalf("QIDO-RS answer %s", ans)
	}

	if err := o.Retrieve(t, "bridge", NewUID()); err == nil {
		t.Fatal("retrieving an unknown study was reported as a success")
	} else {
		t.Logf("retrieve of an unknown study: %v", err)
	}
}
