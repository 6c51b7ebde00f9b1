package bridge

import "net/http"

func (s *Server) qido(w http.ResponseWriter, r *http.Request) {
	writeDICOMJSON(w, http.StatusOK, []any{})
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	writeDICOMJSON(w, http.StatusOK, []any{})
}
