package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/log"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/bridge/enrolment"
	"github.com/medchain/medchain/medclient/study"
	"github.com/medchain/medchain/testutil/orthanc"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

const hospital = "med1hospitalxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

// fixture is a bridge over a fake chain with one client system.
type fixture struct {
	t      *testing.T
	chain  *fakeChain
	srv    *Server
	http   *httptest.Server
	token  string
	alice  account
	corpus string
}

func newFixture(t *testing.T) *fixture {
	corpus := os.Getenv("MEDCHAIN_DICOM_CORPUS")
	if corpus == "" {
		t.Skip("MEDCHAIN_DICOM_CORPUS is not set (make test-unit sets it: scripts/dicom-corpus.sh)")
	}
	cfg := Config{MaxRequestBytes: 64 << 20}
	token, err := cfg.AddClient("pacs")
	require.NoError(t, err)
	chain := newFakeChain(hospital)
	srv := NewServer(cfg, chain, newStore(t), log.NewNopLogger())
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	f := &fixture{t: t, chain: chain, srv: srv, http: hs, token: token, alice: newAccount(t), corpus: corpus}
	chain.pubkeys[f.alice.addr] = f.alice.key.PubKey()
	return f
}

// enrol enrols alice as (issuer, pid) with a code she signed.
func (f *fixture) enrol(issuer, pid string) {
	code, err := enrolment.New(f.chain.ChainID(), hospital, f.alice.addr, time.Now().Add(time.Hour), f.alice.sign)
	require.NoError(f.t, err)
	_, err = Enrol(f.t.Context(), f.chain, f.srv.Patients(), code, issuer, pid, false, time.Now())
	require.NoError(f.t, err)
}

// stowBody is a STOW-RS request body of the given parts.
func stowBody(t *testing.T, parts ...[]byte) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", "application/dicom")
		w, err := mw.CreatePart(h)
		require.NoError(t, err)
		_, err = w.Write(p)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return &buf, fmt.Sprintf(`multipart/related; type="application/dicom"; boundary=%s`, mw.Boundary())
}

func (f *fixture) do(method, path string, body io.Reader, contentType string, header ...string) *http.Response {
	req, err := http.NewRequest(method, f.http.URL+path, body)
	require.NoError(f.t, err)
	req.Header.Set("Authorization", "Bearer "+f.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	f.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// stow pushes instances and returns the status and the response data set.
func (f *fixture) stow(instances ...[]byte) (int, map[string]any, http.Header) {
	body, ct := stowBody(f.t, instances...)
	resp := f.do("POST", "/dicom-web/studies", body, ct)
	var out map[string]any
	require.NoError(f.t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out, resp.Header
}

// failures returns FailureReason by SOPInstanceUID of a STOW response.
func failures(out map[string]any) map[string]int {
	got := map[string]int{}
	seq, _ := out["00081198"].(map[string]any)
	items, _ := seq["Value"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		sop := ""
		if v, ok := m["00081155"].(map[string]any); ok {
			sop = v["Value"].([]any)[0].(string)
		}
		got[sop] = int(m["00081197"].(map[string]any)["Value"].([]any)[0].(float64))
	}
	return got
}

func stored(out map[string]any) int {
	seq, _ := out["00081199"].(map[string]any)
	items, _ := seq["Value"].([]any)
	return len(items)
}

// TestOnlyTheHospitalsSystemsGetIn: no token, a wrong token, a token
// under another client's name: 401, and nothing is read or stored.
func TestOnlyTheHospitalsSystemsGetIn(t *testing.T) {
	f := newFixture(t)
	for name, set := range map[string]func(*http.Request){
		"no credential":                           func(*http.Request) {},
		"a wrong bearer token":                    func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") },
		"basic with the token under another name": func(r *http.Request) { r.SetBasicAuth("viewer", f.token) },
		"basic with a wrong password":             func(r *http.Request) { r.SetBasicAuth("pacs", "nope") },
	} {
		for _, path := range []string{"/dicom-web/studies", "/dicom-web/studies/1.2.3"} {
			req, _ := http.NewRequest("GET", f.http.URL+path, nil)
			set(req)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s on %s", name, path)
		}
	}
	req, _ := http.NewRequest("GET", f.http.URL+"/dicom-web/studies", nil)
	req.SetBasicAuth("pacs", f.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "basic auth as the client's name with its token")
	require.Zero(t, f.chain.reads[hospital])
}

// TestStowRefusesWithAReasonAndKeepsNothing: an unknown patient, a
// patient who granted nothing, a malformed part and a part of another
// type each get a failure reason; nothing is stored for any of them, and
// a request with some good instances stores those (202).
func TestStowRefusesWithAReasonAndKeepsNothing(t *testing.T) {
	f := newFixture(t)
	files := orthanc.MakeStudy(t, f.corpus, 1, 2, "P-1", "HOSP")
	_, _, sop0 := orthanc.UIDs(t, files[0])

	status, out, hdr := f.stow(files...)
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, failNotAuthorized, failures(out)[sop0])
	require.Contains(t, strings.Join(hdr.Values("Warning"), "\n"), "no patient enrolled")

	f.enrol("HOSP", "P-1")
	status, out, hdr = f.stow(files...)
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, failNotAuthorized, failures(out)[sop0])
	require.Contains(t, strings.Join(hdr.Values("Warning"), "\n"), "no consent")
	require.Empty(t, f.chain.records, "nothing stored without consent")

	truncated := files[0][:len(files[0])/2]
	status, out, _ = f.stow([]byte("not dicom at all"), truncated)
	require.Equal(t, http.StatusConflict, status)
	require.Len(t, failures(out), 1, "two unreadable parts, neither with a SOP instance UID to name")
	require.Equal(t, failUnreadable, failures(out)[""])

	f.chain.writers[f.alice.addr] = true
	status, out, _ = f.stow(files[0], []byte("garbage"))
	require.Equal(t, http.StatusAccepted, status, "some stored, some not")
	require.Equal(t, 1, stored(out))
	require.Len(t, f.chain.records, 1)

	// Another type of part.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", "application/pdf")
	w, _ := mw.CreatePart(h)
	_, _ = w.Write([]byte("%PDF-1.4"))
	_ = mw.Close()
	resp := f.do("POST", "/dicom-web/studies", &buf, `multipart/related; boundary=`+mw.Boundary())
	require.Equal(t, http.StatusConflict, resp.StatusCode)

	// Not multipart at all.
	resp = f.do("POST", "/dicom-web/studies", bytes.NewReader(files[0]), "application/dicom")
	require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
}

// TestOneRecordPerStudy: a study's instances, in one request or several,
// make one record owned by the patient, whose versions hold every instance
// byte for byte; a second study is a second record; an instance sent again
// replaces the one held.
func TestOneRecordPerStudy(t *testing.T) {
	f := newFixture(t)
	f.enrol("HOSP", "P-1")
	f.chain.writers[f.alice.addr] = true
	f.chain.readers[hospital] = true
	files := orthanc.MakeStudy(t, f.corpus, 2, 3, "P-1", "HOSP")

	status, out, _ := f.stow(files[:4]...)
	require.Equal(t, http.StatusOK, status, "%v", out)
	require.Equal(t, 4, stored(out))
	require.Len(t, f.chain.records, 1)
	status, _, _ = f.stow(files[3:]...)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, f.chain.records, 1, "later instances add a version")
	rec := f.chain.records[1]
	require.Equal(t, f.alice.addr, rec.owner)
	require.Len(t, rec.versions, 2)

	idx, err := study.Each(bytes.NewReader(rec.versions[1]), func(e study.Entry, r io.Reader) error {
		data, _ := io.ReadAll(r)
		for _, want := range files {
			if _, _, sop := orthanc.UIDs(t, want); sop == e.SOPInstanceUID {
				require.Equal(t, want, data)
				return nil
			}
		}
		return fmt.Errorf("instance %s was never sent", e.SOPInstanceUID)
	})
	require.NoError(t, err)
	require.Len(t, idx.Instances, len(files), "the new version holds the old instances and the new")

	other := orthanc.MakeStudy(t, f.corpus, 1, 1, "P-1", "HOSP")
	status, _, _ = f.stow(other...)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, f.chain.records, 2, "another study, another record")

	// Without READ the study cannot be extended: refused, nothing changes.
	f.chain.readers[hospital] = false
	status, out, hdr := f.stow(files[0])
	require.Equal(t, http.StatusConflict, status)
	_, _, sop0 := orthanc.UIDs(t, files[0])
	require.Equal(t, failNotAuthorized, failures(out)[sop0])
	require.Contains(t, strings.Join(hdr.Values("Warning"), "\n"), "READ")
	require.Len(t, rec.versions, 2)
}

// storedStudy enrols alice as (issuer, pid), lets the hospital write her
// records and stores a study of 2 series of 2 instances of hers.
func (f *fixture) storedStudy(issuer, pid string) [][]byte {
	f.enrol(issuer, pid)
	f.chain.writers[f.alice.addr] = true
	files := orthanc.MakeStudy(f.t, f.corpus, 2, 2, pid, issuer)
	status, out, _ := f.stow(files...)
	require.Equal(f.t, http.StatusOK, status, "%v", out)
	return files
}

// TestWadoReturnsTheStoredBytesOnlyToReaders: WADO-RS returns a study, a
// series or an instance byte for byte as multipart/related, only while the
// chain lets the hospital (and the practitioner named) read it.
func TestWadoReturnsTheStoredBytesOnlyToReaders(t *testing.T) {
	f := newFixture(t)
	files := f.storedStudy("", "P-2")
	studyUID, seriesUID, sop := orthanc.UIDs(t, files[0])

	path := "/dicom-web/studies/" + studyUID
	resp := f.do("GET", path, nil, "", "Accept", `multipart/related; type="application/dicom"`)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "no READ: the study is not there for this hospital")

	f.chain.readers[hospital] = true
	parts := f.wado(path)
	require.Len(t, parts, len(files))
	require.ElementsMatch(t, files, parts)
	require.Len(t, f.wado(path+"/series/"+seriesUID), 2)
	one := f.wado(path + "/series/" + seriesUID + "/instances/" + sop)
	require.Equal(t, [][]byte{files[0]}, one)
	resp = f.do("GET", path+"/series/"+seriesUID+"/instances/1.2.3", nil, "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// A practitioner the chain does not let read gets nothing.
	dr := newAccount(t).addr
	resp = f.do("GET", path, nil, "", PractitionerHeader, dr)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	f.chain.readers[dr] = true
	resp = f.do("GET", path, nil, "", PractitionerHeader, dr)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = f.do("GET", path, nil, "", PractitionerHeader, "not-an-address")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func (f *fixture) wado(path string) [][]byte {
	resp := f.do("GET", path, nil, "", "Accept", `multipart/related; type="application/dicom"`)
	require.Equal(f.t, http.StatusOK, resp.StatusCode)
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(f.t, err)
	require.Equal(f.t, "multipart/related", mt)
	require.Equal(f.t, "application/dicom", params["type"])
	mr := multipart.NewReader(resp.Body, params["boundary"])
	var out [][]byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		require.NoError(f.t, err)
		data, err := io.ReadAll(p)
		require.NoError(f.t, err)
		out = append(out, data)
	}
}

// qido runs a search and returns the results.
func (f *fixture) qido(path string, header ...string) (int, []map[string]any) {
	resp := f.do("GET", path, nil, "", header...)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	require.Equal(f.t, "application/dicom+json", resp.Header.Get("Content-Type"))
	var out []map[string]any
	require.NoError(f.t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func value(m map[string]any, tag string) any {
	v, _ := m[tag].(map[string]any)
	vals, _ := v["Value"].([]any)
	if len(vals) == 0 {
		return nil
	}
	return vals[0]
}

// TestQidoListsOnlyWhatTheChainLetsRead: a search finds a study only while
// the hospital (and the practitioner named) may read it, matches the usual
// keys, answers series and instances, and refuses an unknown key.
func TestQidoListsOnlyWhatTheChainLetsRead(t *testing.T) {
	f := newFixture(t)
	files := f.storedStudy("HOSP", "P-3")
	studyUID, seriesUID, _ := orthanc.UIDs(t, files[0])

	status, found := f.qido("/dicom-web/studies")
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, found, "no READ grant: nothing to find")

	f.chain.readers[hospital] = true
	_, found = f.qido("/dicom-web/studies?PatientID=P-3")
	require.Len(t, found, 1)
	require.Equal(t, studyUID, value(found[0], "0020000D"))
	require.EqualValues(t, 2, value(found[0], "00201206"), "NumberOfStudyRelatedSeries")
	require.EqualValues(t, 4, value(found[0], "00201208"), "NumberOfStudyRelatedInstances")
	_, found = f.qido("/dicom-web/studies?PatientID=P-4")
	require.Empty(t, found)
	_, found = f.qido("/dicom-web/studies?StudyInstanceUID=" + studyUID)
	require.Len(t, found, 1)
	_, found = f.qido("/dicom-web/studies/" + studyUID + "/series")
	require.Len(t, found, 2)
	_, found = f.qido("/dicom-web/studies/" + studyUID + "/series/" + seriesUID + "/instances")
	require.Len(t, found, 2)
	_, found = f.qido("/dicom-web/instances?SeriesInstanceUID=" + seriesUID)
	require.Len(t, found, 2)
	status, _ = f.qido("/dicom-web/studies?NoSuchKey=1")
	require.Equal(t, http.StatusBadRequest, status)

	// The index was read from the payload once, then from the cache.
	reads := f.chain.reads[hospital]
	_, found = f.qido("/dicom-web/studies")
	require.Len(t, found, 1)
	require.Equal(t, reads, f.chain.reads[hospital], "a second search reads no payload")

	dr := newAccount(t).addr
	_, found = f.qido("/dicom-web/studies", PractitionerHeader, dr)
	require.Empty(t, found, "a practitioner the chain does not let read finds nothing")

	resp := f.do("GET", "/dicom-web/studies/"+studyUID+"/metadata", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var meta []map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&meta))
	require.Len(t, meta, 4)

	// Revoked: gone from the searches at once, cached index or not.
	f.chain.readers[hospital] = false
	_, found = f.qido("/dicom-web/studies")
	require.Empty(t, found)
}

// TestManyStudiesInOneRequest: a PACS that pushes several studies in one
// request (Orthanc sends everything it is asked to in one) gets one record
// per study, each with only its own instances.
func TestManyStudiesInOneRequest(t *testing.T) {
	f := newFixture(t)
	f.enrol("HOSP", "P-5")
	f.chain.writers[f.alice.addr] = true
	var all [][]byte
	for range 10 {
		all = append(all, orthanc.MakeStudy(t, f.corpus, 1, 2, "P-5", "HOSP")...)
	}
	status, out, _ := f.stow(all...)
	require.Equal(t, http.StatusOK, status, "%v", out)
	require.Equal(t, len(all), stored(out))
	require.Len(t, f.chain.records, 10)
	for id, r := range f.chain.records {
		idx, err := study.ReadIndex(bytes.NewReader(r.versions[0]))
		require.NoError(t, err)
		require.Len(t, idx.Instances, 2, "record %d", id)
	}
}

// blockingChain holds every Create until released.
type blockingChain struct {
	*fakeChain
	entered chan struct{}
	release chan struct{}
}

func (b blockingChain) Create(ctx context.Context, patient string, kind recordstypes.RecordKind, label string, src io.Reader, size int64) (Stored, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.fakeChain.Create(ctx, patient, kind, label, src, size)
}

// TestStoresAreBounded: a flood of store requests cannot make the bridge
// hold more than MaxConcurrentStores requests in memory: the others are
// told to come back (503, Retry-After) and nothing of them is stored.
func TestStoresAreBounded(t *testing.T) {
	f := newFixture(t)
	f.enrol("HOSP", "P-6")
	f.chain.writers[f.alice.addr] = true
	bc := blockingChain{f.chain, make(chan struct{}, 8), make(chan struct{})}
	f.srv.chain = bc
	f.srv.stores = make(chan struct{}, 2)
	studies := make([][][]byte, 3)
	for i := range studies {
		studies[i] = orthanc.MakeStudy(t, f.corpus, 1, 1, "P-6", "HOSP")
	}
	done := make(chan int, 2)
	for i := range 2 {
		go func() {
			body, ct := stowBody(t, studies[i]...)
			req, _ := http.NewRequest("POST", f.http.URL+"/dicom-web/studies", body)
			req.Header.Set("Authorization", "Bearer "+f.token)
			req.Header.Set("Content-Type", ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	<-bc.entered
	<-bc.entered
	body, ct := stowBody(t, studies[2]...)
	resp := f.do("POST", "/dicom-web/studies", body, ct)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "5", resp.Header.Get("Retry-After"))
	close(bc.release)
	require.Equal(t, http.StatusOK, <-done)
	require.Equal(t, http.StatusOK, <-done)
	require.Len(t, f.chain.records, 2, "the refused request stored nothing")
}
