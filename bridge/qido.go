package bridge

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/medchain/medchain/medclient/study"
)

// qido is QIDO-RS (PS3.18 §10.6): search the studies, series or instances
// the caller may read now, by the usual keys, answered from the studies'
// decrypted indexes as DICOM JSON. A study the chain does not let the
// hospital (and the practitioner named) read is not there at all.
func (s *Server) qido(w http.ResponseWriter, r *http.Request) {
	level := study.StudyLevel
	switch {
	case strings.HasSuffix(r.URL.Path, "/series"):
		level = study.SeriesLevel
	case strings.HasSuffix(r.URL.Path, "/instances"):
		level = study.InstanceLevel
	}
	values := url.Values{}
	for k, v := range r.URL.Query() {
		values[k] = v
	}
	// The path's UIDs are matching keys of their own.
	if uid := r.PathValue("study"); uid != "" {
		values.Set("StudyInstanceUID", uid)
	}
	if uid := r.PathValue("series"); uid != "" {
		values.Set("SeriesInstanceUID", uid)
	}
	q, err := study.ParseQuery(values, level)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.metrics.qido.WithLabelValues(level.String()).Inc()
	all, err := s.readable(r.Context())
	if err != nil {
		httpError(w, statusOf(err), "the chain could not be asked what this hospital may read: "+err.Error())
		return
	}
	indexes := make([]study.Index, len(all))
	for i, st := range all {
		indexes[i] = st.idx
	}
	var results []map[string]any
	switch level {
	case study.StudyLevel:
		results = q.Studies(indexes)
	case study.SeriesLevel:
		results = q.Series(indexes)
	default:
		results = q.Instances(indexes)
	}
	if results == nil {
		results = []map[string]any{}
	}
	writeDICOMJSON(w, http.StatusOK, results)
}

// metadata is WADO-RS metadata (PS3.18 §10.4.1.1.2): the DICOM JSON of
// each instance of a study, a series or one instance, from the index.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	st, err := s.findStudy(r.Context(), r.PathValue("study"))
	if err != nil {
		s.readError(w, err)
		return
	}
	series, instance := r.PathValue("series"), r.PathValue("instance")
	out := []map[string]any{}
	for _, e := range st.idx.Instances {
		if (series == "" || e.SeriesInstanceUID == series) && (instance == "" || e.SOPInstanceUID == instance) {
			out = append(out, study.InstanceJSON(e))
		}
	}
	if len(out) == 0 {
		s.readError(w, errNoSuchPart)
		return
	}
	writeDICOMJSON(w, http.StatusOK, out)
}
