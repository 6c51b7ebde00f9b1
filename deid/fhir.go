package deid

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
)

// FHIRRemoved are the element names FHIR removes wherever they occur, in
// any resource and at any depth: identifiers, names, contact points,
// addresses and photos, and the narrative (text.div), which repeats them
// in prose.
var FHIRRemoved = []string{"identifier", "name", "telecom", "address", "photo", "text"}

// ErrNotFHIR is returned for input that is not a FHIR JSON resource.
var ErrNotFHIR = errors.New("not a FHIR JSON resource (a JSON object with a resourceType)")

var yearOnly = regexp.MustCompile(`^(\d{4})`)

// FHIRReport says what FHIR changed.
type FHIRReport struct {
	Removed      int // elements removed
	DatesReduced int // birth dates cut to the year
}

// FHIR de-identifies a FHIR R4 JSON resource (a Bundle's entries
// included): it removes every element named in FHIRRemoved and keeps only
// the year of birthDate. Free-text elements other than the narrative
// (notes, comments) are kept: a patient who shares such a record reviews
// them. Keys come out sorted.
func FHIR(r io.Reader, w io.Writer) (FHIRReport, error) {
	var doc map[string]any
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return FHIRReport{}, fmt.Errorf("%w: %v", ErrNotFHIR, err)
	}
	if rt, _ := doc["resourceType"].(string); rt == "" {
		return FHIRReport{}, ErrNotFHIR
	}
	var rep FHIRReport
	scrub(doc, &rep)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return rep, enc.Encode(doc)
}

func scrub(v any, rep *FHIRReport) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range FHIRRemoved {
			if _, ok := x[k]; ok {
				delete(x, k)
				rep.Removed++
			}
		}
		if bd, ok := x["birthDate"].(string); ok {
			if m := yearOnly.FindString(bd); m != "" && m != bd {
				x["birthDate"] = m
				rep.DatesReduced++
			}
		}
		for _, child := range x {
			scrub(child, rep)
		}
	case []any:
		for _, child := range x {
			scrub(child, rep)
		}
	}
}
