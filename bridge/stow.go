package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/medchain/medchain/medclient/study"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Failure reasons of a STOW-RS response (PS3.18 Table 10.5.3-2, the
// status codes of PS3.4 Annex C).
const (
	failProcessing     = 0x0110 // Processing failure
	failNotAuthorized  = 0x0124 // Refused: not authorised (no consent, unknown patient)
	failOutOfResources = 0xA700 // Refused: out of resources
	failMismatch       = 0xA900 // Error: data set does not match SOP class (not of the study in the URL)
	failUnreadable     = 0xC000 // Error: cannot understand
)

// studiesAtOnce bounds the studies of one request stored at once.
const studiesAtOnce = 8

// pushed is one instance of a STOW-RS request.
type pushed struct {
	inst    study.Instance
	data    []byte
	failure int // 0: not failed
	why     string
}

func (p *pushed) fail(code int, why string) {
	if p.failure == 0 {
		p.failure, p.why = code, why
	}
}

// stow is STOW-RS (PS3.18 §10.5): store instances, one record per study.
func (s *Server) stow(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/related" || params["boundary"] == "" {
		httpError(w, http.StatusUnsupportedMediaType, `STOW-RS takes multipart/related; type="application/dicom" with a boundary`)
		return
	}
	if t := params["type"]; t != "" && !strings.EqualFold(t, "application/dicom") {
		httpError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("this bridge stores application/dicom instances, not %q", t))
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes)
	mr := multipart.NewReader(body, params["boundary"])
	var parts []*pushed
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a STOW-RS request is at most %d bytes here: send fewer instances per request (nothing of this one was stored)", s.cfg.MaxRequestBytes))
				return
			}
			httpError(w, http.StatusBadRequest, "the multipart body is malformed (nothing was stored): "+err.Error())
			return
		}
		data, err := io.ReadAll(part)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a STOW-RS request is at most %d bytes here: send fewer instances per request (nothing of this one was stored)", s.cfg.MaxRequestBytes))
				return
			}
			httpError(w, http.StatusBadRequest, "reading the request: "+err.Error())
			return
		}
		p := &pushed{data: data}
		if ct := part.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/dicom") {
			p.fail(failUnreadable, fmt.Sprintf("a part of type %q: only application/dicom instances are stored", ct))
		} else if inst, err := study.NewInstance(data); err != nil {
			p.fail(failUnreadable, "malformed DICOM: "+err.Error())
		} else {
			p.inst = inst
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		httpError(w, http.StatusBadRequest, "the request holds no instance")
		return
	}
	if want := r.PathValue("study"); want != "" {
		for _, p := range parts {
			if p.failure == 0 && p.inst.StudyInstanceUID != want {
				p.fail(failMismatch, "the instance is not of the study the request names")
			}
		}
	}

	// One record per study: group, then store each group.
	var order []string
	groups := map[string][]*pushed{}
	for _, p := range parts {
		if p.failure != 0 {
			continue
		}
		uid := p.inst.StudyInstanceUID
		if _, ok := groups[uid]; !ok {
			order = append(order, uid)
		}
		groups[uid] = append(groups[uid], p)
	}
	// Studies are stored concurrently (each encrypted and uploaded on its
	// own, registered together by the chain's batcher), a few at a time.
	sem := make(chan struct{}, studiesAtOnce)
	var wg sync.WaitGroup
	for _, uid := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.storeStudy(r.Context(), uid, groups[uid])
		}()
	}
	wg.Wait()

	stored, failed := 0, 0
	for _, p := range parts {
		if p.failure != 0 {
			failed++
			s.metrics.instances.WithLabelValues(failureLabel(p.failure)).Inc()
		} else {
			stored++
			s.metrics.instances.WithLabelValues("stored").Inc()
		}
	}
	s.metrics.stowSeconds.Observe(time.Since(began).Seconds())
	s.log.Info("STOW-RS", "client", callerOf(r.Context()).client, "instances", len(parts), "stored", stored, "failed", failed,
		"studies", len(order), "took", time.Since(began).Round(time.Millisecond))
	status := http.StatusOK
	switch {
	case stored == 0:
		status = http.StatusConflict
	case failed > 0:
		status = http.StatusAccepted
	}
	if failed > 0 {
		// ErrorComment (LO) holds 64 characters: each distinct reason in
		// full goes into a Warning header (PS3.18 §8.6.2).
		seen := map[string]bool{}
		for _, p := range parts {
			if p.failure != 0 && !seen[p.why] {
				seen[p.why] = true
				w.Header().Add("Warning", fmt.Sprintf("299 medchain-bridge: %s", strings.NewReplacer("\r", " ", "\n", " ").Replace(p.why)))
			}
		}
	}
	writeDICOMJSON(w, status, stowResponse(baseURL(r), parts))
}

func failureLabel(code int) string {
	switch code {
	case failNotAuthorized:
		return "refused"
	case failUnreadable, failMismatch:
		return "malformed"
	case failOutOfResources:
		return "too_large"
	}
	return "failed"
}

// storeStudy stores the instances of one study: the patient must be
// enrolled and have granted the hospital WRITE; the study's record is made,
// or its next version holds the instances it held and these.
func (s *Server) storeStudy(ctx context.Context, studyUID string, parts []*pushed) {
	failAll := func(code int, why string) {
		for _, p := range parts {
			p.fail(code, why)
		}
	}
	first := parts[0].inst
	pt, err := s.patients.Lookup(first.IssuerOfPatientID, first.PatientID)
	if err != nil {
		failAll(failNotAuthorized, err.Error()+": the patient enrols first (medchaind bridge enrol)")
		return
	}
	var ok []*pushed
	for _, p := range parts {
		if p.inst.PatientID != first.PatientID || p.inst.IssuerOfPatientID != first.IssuerOfPatientID {
			p.fail(failMismatch, "the instance names another patient than the rest of its study")
			continue
		}
		ok = append(ok, p)
	}
	parts = ok
	allowed, why, err := s.chain.WriteConsent(ctx, pt.Address, recordstypes.RecordKindDICOM)
	if err != nil {
		failAll(failProcessing, "the chain could not be asked for the patient's consent: "+err.Error())
		return
	}
	if !allowed {
		failAll(failNotAuthorized, why)
		return
	}

	key := pt.Address + "\x00" + studyUID
	lock := s.studyLock(key)
	lock.Lock()
	defer lock.Unlock()
	var ref studyRef
	err = s.store.Get(tableStudies, key, &ref)
	switch {
	case errors.Is(err, ErrNotFound):
		err = s.createStudy(ctx, key, pt.Address, parts)
	case err == nil:
		err = s.extendStudy(ctx, ref, parts)
	}
	if err != nil {
		code := failProcessing
		if errors.Is(err, ErrNoConsent) {
			code = failNotAuthorized
		} else {
			// The chain's or the vault's failure names no patient: the
			// operator sees why.
			s.log.Error("a study could not be stored", "instances", len(parts), "err", err)
		}
		failAll(code, err.Error())
	}
}

// studyRef is where the bridge stored a study: the patient's record.
type studyRef struct {
	RecordID uint64 `json:"record_id"`
	Owner    string `json:"owner"`
}

func instancesOf(parts []*pushed) []study.Instance {
	out := make([]study.Instance, len(parts))
	for i, p := range parts {
		out[i] = p.inst
	}
	return out
}

func (s *Server) createStudy(ctx context.Context, key, patient string, parts []*pushed) error {
	instances := instancesOf(parts)
	size, err := study.Size(instances)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { _, err := study.Write(pw, instances); pw.CloseWithError(err) }()
	began := time.Now()
	st, err := s.chain.Create(ctx, patient, recordstypes.RecordKindDICOM, labelOf(parts[0].inst.Attributes), pr, size)
	pr.CloseWithError(errStop)
	if err != nil {
		return err
	}
	s.metrics.records.WithLabelValues("created").Inc()
	s.metrics.bytes.Add(float64(size))
	s.log.Info("study stored as a new record", "record", st.RecordID, "instances", len(instances), "bytes", size,
		"height", st.Height, "took", time.Since(began).Round(time.Millisecond))
	return s.store.Put(tableStudies, key, studyRef{RecordID: st.RecordID, Owner: patient})
}

// extendStudy makes the study record's next version: the instances it
// holds, read back from a vault and verified as they stream through, and
// the new ones (an instance sent again replaces the one held). Nothing is
// held in memory but the indexes and the new instances.
func (s *Server) extendStudy(ctx context.Context, ref studyRef, parts []*pushed) error {
	self := s.chain.Self()
	cur, ok, why, err := s.chain.Record(ctx, ref.RecordID, self)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: the study's record %d exists, and new instances go into its next version, which the hospital must read: %s (the patient grants this hospital READ)", ErrNoConsent, ref.RecordID, why)
	}
	oldIdx, err := s.index(ctx, cur, self)
	if err != nil {
		return err
	}
	added := instancesOf(parts)
	size, err := study.MergeSize(oldIdx, added)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	oldR, oldW := io.Pipe()
	go func() { oldW.CloseWithError(s.chain.Read(ctx, ref.RecordID, self, oldW)) }()
	newR, newW := io.Pipe()
	go func() {
		_, err := study.Merge(newW, oldR, added)
		oldR.CloseWithError(errStop)
		newW.CloseWithError(err)
	}()
	began := time.Now()
	st, err := s.chain.AddVersion(ctx, ref.RecordID, newR, size)
	newR.CloseWithError(errStop)
	if err != nil {
		return err
	}
	s.metrics.records.WithLabelValues("versioned").Inc()
	s.metrics.bytes.Add(float64(size))
	s.log.Info("study stored as a new version", "record", st.RecordID, "version", st.Version, "added", len(added),
		"bytes", size, "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// labelOf is the record's label, sealed to its readers: what a patient
// sees in their list.
func labelOf(a study.Attributes) string {
	l := "DICOM study"
	if a.Modality != "" {
		l = a.Modality + " study"
	}
	if len(a.StudyDate) == 8 {
		l += " of " + a.StudyDate[:4] + "-" + a.StudyDate[4:6] + "-" + a.StudyDate[6:]
	}
	return l
}

// stowResponse is the STOW-RS response data set (PS3.18 §10.5.3): the
// stored instances in ReferencedSOPSequence, the others in
// FailedSOPSequence with a FailureReason and, in ErrorComment, why.
func stowResponse(base string, parts []*pushed) map[string]any {
	var storedItems, failedItems []any
	for _, p := range parts {
		item := map[string]any{}
		if p.inst.SOPClassUID != "" {
			item["00081150"] = uiValue(p.inst.SOPClassUID)
		}
		if p.inst.SOPInstanceUID != "" {
			item["00081155"] = uiValue(p.inst.SOPInstanceUID)
		}
		if p.failure != 0 {
			item["00081197"] = map[string]any{"vr": "US", "Value": []any{p.failure}}
			item["00000902"] = map[string]any{"vr": "LO", "Value": []any{truncate(p.why, 64)}}
			failedItems = append(failedItems, item)
			continue
		}
		item["00081190"] = map[string]any{"vr": "UR", "Value": []any{fmt.Sprintf("%s/dicom-web/studies/%s/series/%s/instances/%s",
			base, p.inst.StudyInstanceUID, p.inst.SeriesInstanceUID, p.inst.SOPInstanceUID)}}
		storedItems = append(storedItems, item)
	}
	out := map[string]any{}
	if len(storedItems) > 0 {
		out["00081199"] = map[string]any{"vr": "SQ", "Value": storedItems}
	}
	if len(failedItems) > 0 {
		out["00081198"] = map[string]any{"vr": "SQ", "Value": failedItems}
	}
	return out
}

func uiValue(v string) map[string]any { return map[string]any{"vr": "UI", "Value": []any{v}} }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// baseURL is the bridge's own URL as the caller reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func writeDICOMJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/dicom+json")
	w.WriteHeader(status)
	_ = jsonEncode(w, v)
}
