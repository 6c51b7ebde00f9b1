package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"mime/multipart"

	"github.com/medchain/medchain/medclient/study"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// readableStudy is a study the reader may read now, with its index.
type readableStudy struct {
	ref RecordRef
	idx study.Index
}

// readable lists the studies the caller may read now, with their indexes:
// the chain says which records (CheckAccess); each record's index comes
// from the bridge's encrypted cache or, the first time, from the head of
// the record's payload, read from a vault.
func (s *Server) readable(ctx context.Context) ([]readableStudy, error) {
	reader := s.reader(ctx)
	refs, err := s.chain.Readable(ctx, reader, recordstypes.RecordKindDICOM)
	if err != nil {
		return nil, err
	}
	var out []readableStudy
	for _, ref := range refs {
		idx, err := s.index(ctx, ref, reader)
		if err != nil {
			// One unreadable record must not hide the others: it is
			// logged and left out.
			s.log.Error("a study record's index could not be read", "record", ref.RecordID, "err", err)
			s.metrics.refused.WithLabelValues("index_unreadable").Inc()
			continue
		}
		out = append(out, readableStudy{ref: ref, idx: idx})
	}
	return out, nil
}

// index returns the index of ref's current version.
func (s *Server) index(ctx context.Context, ref RecordRef, reader string) (study.Index, error) {
	key := fmt.Sprintf("%d/%s", ref.RecordID, ref.CID)
	var idx study.Index
	if err := s.store.Get(tableIndexes, key, &idx); err == nil {
		return idx, nil
	} else if !errors.Is(err, ErrNotFound) {
		return idx, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := s.chain.Read(ctx, ref.RecordID, reader, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	idx, err := study.ReadIndex(pr)
	pr.CloseWithError(errStop) // the rest of the payload is not needed
	cancel()
	if err != nil {
		if rerr := <-done; rerr != nil && !errors.Is(rerr, errStop) && !errors.Is(rerr, context.Canceled) {
			return idx, rerr
		}
		return idx, fmt.Errorf("record %d is not a DICOM study container: %w", ref.RecordID, err)
	}
	return idx, s.store.Put(tableIndexes, key, idx)
}

// findStudy is the readable study with uid.
func (s *Server) findStudy(ctx context.Context, uid string) (readableStudy, error) {
	all, err := s.readable(ctx)
	if err != nil {
		return readableStudy{}, err
	}
	for _, st := range all {
		if st.idx.StudyInstanceUID == uid {
			return st, nil
		}
	}
	return readableStudy{}, errNotReadable
}

var errNoSuchPart = errors.New("the study holds no such series or instance")

var errNotReadable = errors.New("no study with this UID that the caller may read: unknown, or the patient has not granted this hospital READ")

// wado is WADO-RS (PS3.18 §10.4): the instances of a study, a series or one
// instance, as multipart/related; type="application/dicom", byte for byte
// as they were stored.
func (s *Server) wado(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	if !acceptsDICOM(r.Header.Get("Accept")) {
		httpError(w, http.StatusNotAcceptable, `this bridge returns instances as multipart/related; type="application/dicom" (transfer syntax as stored)`)
		return
	}
	ctx := r.Context()
	st, err := s.findStudy(ctx, r.PathValue("study"))
	if err != nil {
		s.readError(w, err)
		return
	}
	series, instance := r.PathValue("series"), r.PathValue("instance")
	want := func(e study.Entry) bool {
		return (series == "" || e.SeriesInstanceUID == series) && (instance == "" || e.SOPInstanceUID == instance)
	}
	n := 0
	for _, e := range st.idx.Instances {
		if want(e) {
			n++
		}
	}
	if n == 0 {
		s.readError(w, errNoSuchPart)
		return
	}

	boundary := randomBoundary()
	pr, pw := io.Pipe()
	readErr := make(chan error, 1)
	go func() {
		err := s.chain.Read(ctx, st.ref.RecordID, s.reader(ctx), pw)
		pw.CloseWithError(err)
		readErr <- err
	}()
	started := false
	var mw *multipart.Writer
	sent := 0
	_, err = study.Each(pr, func(e study.Entry, body io.Reader) error {
		if !want(e) {
			return nil
		}
		if !started {
			w.Header().Set("Content-Type", fmt.Sprintf(`multipart/related; type="application/dicom"; boundary=%s`, boundary))
			w.WriteHeader(http.StatusOK)
			mw = multipart.NewWriter(w)
			if err := mw.SetBoundary(boundary); err != nil {
				return err
			}
			started = true
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", "application/dicom")
		h.Set("Content-Length", fmt.Sprint(e.Size))
		part, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		if _, err := io.Copy(part, body); err != nil {
			return err
		}
		sent++
		return nil
	})
	pr.CloseWithError(errStop)
	if err == nil {
		if rerr := <-readErr; rerr != nil {
			err = rerr
		}
	}
	if err != nil {
		s.log.Error("WADO-RS failed", "record", st.ref.RecordID, "sent", sent, "err", err)
		if !started {
			s.readError(w, err)
		}
		// Once parts went out the status is sent: the response ends
		// without its closing boundary, which a client sees as truncated.
		return
	}
	if mw != nil {
		_ = mw.Close()
	}
	s.metrics.wadoInstances.Add(float64(sent))
	s.log.Info("WADO-RS", "client", callerOf(ctx).client, "record", st.ref.RecordID, "instances", sent, "took", time.Since(began).Round(time.Millisecond))
}

func (s *Server) readError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errNotReadable), errors.Is(err, errNoSuchPart):
		httpError(w, http.StatusNotFound, err.Error())
	default:
		httpError(w, statusOf(err), err.Error())
	}
}

// acceptsDICOM: an Accept header that takes multipart application/dicom
// (or anything).
func acceptsDICOM(accept string) bool {
	if accept == "" {
		return true
	}
	a := strings.ToLower(accept)
	return strings.Contains(a, "application/dicom") || strings.Contains(a, "*/*") || strings.Contains(a, "multipart/related")
}

func randomBoundary() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "medchain-" + hex.EncodeToString(b[:])
}
