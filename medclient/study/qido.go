package study

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Level is the level of a QIDO-RS search (PS3.18 10.6): studies, series
// or instances.
type Level int

// The levels of a search.
const (
	StudyLevel Level = iota
	SeriesLevel
	InstanceLevel
)

func (l Level) String() string {
	return [...]string{"study", "series", "instance"}[l]
}

// view is what an attribute's value is read from: a study, and the series
// or instance when the level is lower.
type view struct {
	idx    *Index
	series string // SeriesInstanceUID, at series and instance level
	entry  *Entry // at instance level
}

// attribute is one attribute of the DICOM JSON model this package answers
// and matches on.
type attribute struct {
	keyword string
	tag     string // 8 upper-case hex digits, as in the JSON model
	vr      string
	level   Level
	// match is false for attributes computed from the index (counts),
	// which a search may return but not match on.
	match bool
	get   func(v view) []string
}

// studyValue is the first non-empty value of an attribute over the study's
// instances in container order.
func studyValue(f func(Attributes) string) func(view) []string {
	return func(v view) []string {
		for _, e := range v.idx.Instances {
			if s := f(e.Attributes); s != "" {
				return []string{s}
			}
		}
		return nil
	}
}

// seriesValue is the same over the instances of the view's series.
func seriesValue(f func(Attributes) string) func(view) []string {
	return func(v view) []string {
		for _, e := range v.idx.Instances {
			if e.SeriesInstanceUID == v.series {
				if s := f(e.Attributes); s != "" {
					return []string{s}
				}
			}
		}
		return nil
	}
}

func instanceValue(f func(Attributes) string) func(view) []string {
	return func(v view) []string {
		if s := f(v.entry.Attributes); s != "" {
			return []string{s}
		}
		return nil
	}
}

func number(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func count(n int) []string { return []string{strconv.Itoa(n)} }

// attributes are the attributes of the three levels, in tag order.
var attributes = []attribute{
	{"SOPClassUID", "00080016", "UI", InstanceLevel, true, instanceValue(func(a Attributes) string { return a.SOPClassUID })},
	{"SOPInstanceUID", "00080018", "UI", InstanceLevel, true, instanceValue(func(a Attributes) string { return a.SOPInstanceUID })},
	{"StudyDate", "00080020", "DA", StudyLevel, true, studyValue(func(a Attributes) string { return a.StudyDate })},
	{"StudyTime", "00080030", "TM", StudyLevel, true, studyValue(func(a Attributes) string { return a.StudyTime })},
	{"AccessionNumber", "00080050", "SH", StudyLevel, true, studyValue(func(a Attributes) string { return a.AccessionNumber })},
	{"Modality", "00080060", "CS", SeriesLevel, true, seriesValue(func(a Attributes) string { return a.Modality })},
	{"ModalitiesInStudy", "00080061", "CS", StudyLevel, true, func(v view) []string {
		seen := map[string]bool{}
		var out []string
		for _, e := range v.idx.Instances {
			if m := e.Modality; m != "" && !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
		sort.Strings(out)
		return out
	}},
	{"ReferringPhysicianName", "00080090", "PN", StudyLevel, true, studyValue(func(a Attributes) string { return a.ReferringPhysicianName })},
	{"StudyDescription", "00081030", "LO", StudyLevel, true, studyValue(func(a Attributes) string { return a.StudyDescription })},
	{"SeriesDescription", "0008103E", "LO", SeriesLevel, true, seriesValue(func(a Attributes) string { return a.SeriesDescription })},
	{"AvailableTransferSyntaxUID", "00083002", "UI", InstanceLevel, true, instanceValue(func(a Attributes) string { return a.TransferSyntaxUID })},
	{"PatientName", "00100010", "PN", StudyLevel, true, studyValue(func(a Attributes) string { return a.PatientName })},
	{"PatientID", "00100020", "LO", StudyLevel, true, studyValue(func(a Attributes) string { return a.PatientID })},
	{"IssuerOfPatientID", "00100021", "LO", StudyLevel, true, studyValue(func(a Attributes) string { return a.IssuerOfPatientID })},
	{"PatientBirthDate", "00100030", "DA", StudyLevel, true, studyValue(func(a Attributes) string { return a.PatientBirthDate })},
	{"PatientSex", "00100040", "CS", StudyLevel, true, studyValue(func(a Attributes) string { return a.PatientSex })},
	{"StudyInstanceUID", "0020000D", "UI", StudyLevel, true, func(v view) []string { return []string{v.idx.StudyInstanceUID} }},
	{"SeriesInstanceUID", "0020000E", "UI", SeriesLevel, true, func(v view) []string { return []string{v.series} }},
	{"StudyID", "00200010", "SH", StudyLevel, true, studyValue(func(a Attributes) string { return a.StudyID })},
	{"SeriesNumber", "00200011", "IS", SeriesLevel, true, seriesValue(func(a Attributes) string { return number(a.SeriesNumber) })},
	{"InstanceNumber", "00200013", "IS", InstanceLevel, true, instanceValue(func(a Attributes) string { return number(a.InstanceNumber) })},
	{"NumberOfStudyRelatedSeries", "00201206", "IS", StudyLevel, false, func(v view) []string { return count(len(seriesUIDs(*v.idx))) }},
	{"NumberOfStudyRelatedInstances", "00201208", "IS", StudyLevel, false, func(v view) []string { return count(len(v.idx.Instances)) }},
	{"NumberOfSeriesRelatedInstances", "00201209", "IS", SeriesLevel, false, func(v view) []string {
		n := 0
		for _, e := range v.idx.Instances {
			if e.SeriesInstanceUID == v.series {
				n++
			}
		}
		return count(n)
	}},
}

// attributeByKey finds an attribute by keyword or by tag (8 hex digits,
// either case).
var attributeByKey = func() map[string]*attribute {
	m := map[string]*attribute{}
	for i := range attributes {
		m[attributes[i].keyword] = &attributes[i]
		m[attributes[i].tag] = &attributes[i]
	}
	return m
}()

func lookup(key string) *attribute {
	if a := attributeByKey[key]; a != nil {
		return a
	}
	if len(key) == 8 {
		return attributeByKey[strings.ToUpper(key)]
	}
	return nil
}

// seriesUIDs are the study's series in container order.
func seriesUIDs(idx Index) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range idx.Instances {
		if !seen[e.SeriesInstanceUID] {
			seen[e.SeriesInstanceUID] = true
			out = append(out, e.SeriesInstanceUID)
		}
	}
	return out
}

// Series are the SeriesInstanceUIDs of the study, in container order.
func (idx Index) Series() []string { return seriesUIDs(idx) }

// dicomJSON is the DICOM JSON model (PS3.18 F.2) of the attributes of
// level read from v: each one keyed by its tag, {"vr": VR, "Value": [...]},
// PN values as {"Alphabetic", "Ideographic", "Phonetic"} objects, IS values
// as numbers; attributes without a value are left out.
func dicomJSON(v view, level Level, into map[string]any) map[string]any {
	if into == nil {
		into = map[string]any{}
	}
	for _, a := range attributes {
		if a.level != level {
			continue
		}
		vals := a.get(v)
		if len(vals) == 0 {
			continue
		}
		out := make([]any, 0, len(vals))
		for _, s := range vals {
			out = append(out, jsonValue(a.vr, s))
		}
		into[a.tag] = map[string]any{"vr": a.vr, "Value": out}
	}
	return into
}

func jsonValue(vr, s string) any {
	switch vr {
	case "PN":
		groups := strings.SplitN(s, "=", 3)
		pn := map[string]any{}
		for i, name := range []string{"Alphabetic", "Ideographic", "Phonetic"} {
			if i < len(groups) && groups[i] != "" {
				pn[name] = groups[i]
			}
		}
		return pn
	case "IS":
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	return s
}

// StudyJSON is the study-level DICOM JSON of a study (a QIDO-RS study
// result): its patient and study attributes, taken from the first instance
// that has each, ModalitiesInStudy and the numbers of series and
// instances.
func StudyJSON(idx Index) map[string]any {
	return dicomJSON(view{idx: &idx}, StudyLevel, nil)
}

// SeriesJSON is the series-level DICOM JSON of one series of the study,
// with the StudyInstanceUID; nil if the study has no such series.
func SeriesJSON(idx Index, seriesUID string) map[string]any {
	found := false
	for _, e := range idx.Instances {
		found = found || e.SeriesInstanceUID == seriesUID
	}
	if !found {
		return nil
	}
	out := dicomJSON(view{idx: &idx, series: seriesUID}, SeriesLevel, nil)
	out["0020000D"] = map[string]any{"vr": "UI", "Value": []any{idx.StudyInstanceUID}}
	return out
}

// InstanceJSON is the instance-level DICOM JSON of one entry, with its
// StudyInstanceUID and SeriesInstanceUID; AvailableTransferSyntaxUID is the
// transfer syntax the instance is stored in.
func InstanceJSON(e Entry) map[string]any {
	idx := Index{StudyInstanceUID: e.StudyInstanceUID, Instances: []Entry{e}}
	out := dicomJSON(view{idx: &idx, series: e.SeriesInstanceUID, entry: &e}, InstanceLevel, nil)
	out["0020000D"] = map[string]any{"vr": "UI", "Value": []any{e.StudyInstanceUID}}
	out["0020000E"] = map[string]any{"vr": "UI", "Value": []any{e.SeriesInstanceUID}}
	return out
}

// ErrBadQuery is wrapped by ParseQuery's errors: the search is malformed
// (a QIDO-RS 400 Bad Request).
var ErrBadQuery = errors.New("bad QIDO-RS query")

// Query is a parsed QIDO-RS search (PS3.18 8.3.4): its matching keys and
// the paging and return parameters.
type Query struct {
	Level Level
	// Limit (0: none) and Offset page the results.
	Limit, Offset int
	// IncludeFields are the includefield values as given ("all" or
	// attributes); the results hold every attribute this package knows
	// whatever they say.
	IncludeFields []string
	// FuzzyMatching is the fuzzymatching parameter; PN matching is not
	// fuzzy whatever it says (it is case-insensitive).
	FuzzyMatching bool
	terms         []term
}

// term is one matching key: the entity matches if one of values matches.
type term struct {
	a      *attribute
	values []string
}

// ParseQuery reads the query parameters of a search at level. Keys are
// attribute keywords or tags (8 hex digits) of that level or above, with
// single value, wildcard (* and ?, not for UI, DA, TM nor IS), UID list
// (comma or backslash separated) and date or time range ("A-B", "-B",
// "A-") matching; PN matching ignores case; an empty value matches
// everything. A key given more than once matches if any of its values
// does. limit, offset, includefield and fuzzymatching are the other
// parameters; anything else is an error wrapping ErrBadQuery.
func ParseQuery(q url.Values, level Level) (*Query, error) {
	out := &Query{Level: level}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := q[k]
		switch k {
		case "limit", "offset":
			if len(vs) != 1 {
				return nil, fmt.Errorf("%w: %s given %d times", ErrBadQuery, k, len(vs))
			}
			n, err := strconv.Atoi(vs[0])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: %s=%q is not a number", ErrBadQuery, k, vs[0])
			}
			if k == "limit" {
				out.Limit = n
			} else {
				out.Offset = n
			}
			continue
		case "includefield":
			for _, v := range vs {
				for _, f := range strings.Split(v, ",") {
					if f = strings.TrimSpace(f); f != "" {
						out.IncludeFields = append(out.IncludeFields, f)
					}
				}
			}
			continue
		case "fuzzymatching":
			b, err := strconv.ParseBool(vs[len(vs)-1])
			if err != nil {
				return nil, fmt.Errorf("%w: fuzzymatching=%q", ErrBadQuery, vs[len(vs)-1])
			}
			out.FuzzyMatching = b
			continue
		}
		a := lookup(k)
		if a == nil {
			return nil, fmt.Errorf("%w: unknown parameter %q", ErrBadQuery, k)
		}
		if a.level > level {
			return nil, fmt.Errorf("%w: %s is a %s attribute, not a key of a %s search", ErrBadQuery, a.keyword, a.level, level)
		}
		if !a.match {
			return nil, fmt.Errorf("%w: %s cannot be matched on", ErrBadQuery, a.keyword)
		}
		for _, v := range vs {
			if err := checkKey(a, v); err != nil {
				return nil, fmt.Errorf("%w: %s=%q: %v", ErrBadQuery, k, v, err)
			}
		}
		out.terms = append(out.terms, term{a, vs})
	}
	return out, nil
}

// checkKey checks a matching value's syntax for its VR.
func checkKey(a *attribute, v string) error {
	if v == "" || v == "*" {
		return nil
	}
	switch a.vr {
	case "DA", "TM":
		form := "YYYYMMDD"
		if a.vr == "TM" {
			form = "HH[MM[SS[.F{1,6}]]]"
		}
		lo, hi, _ := strings.Cut(v, "-")
		if strings.Count(v, "-") > 1 || v == "-" {
			return fmt.Errorf("not a value nor a range A-B, -B or A- of %s", form)
		}
		for _, s := range []string{lo, hi} {
			if s == "" {
				continue
			}
			if a.vr == "DA" && !isDate(s) || a.vr == "TM" && normTime(s) == "" {
				return fmt.Errorf("%q is not of the form %s", s, form)
			}
		}
	case "IS":
		if _, err := strconv.Atoi(strings.TrimPrefix(v, "+")); err != nil {
			return errors.New("not an integer")
		}
	case "UI":
		for _, u := range splitUIDs(v) {
			if err := ValidUID(u); err != nil {
				return err
			}
		}
	}
	return nil
}

func splitUIDs(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\\' })
}

func isDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// normDate reads a stored DA, tolerating the old "YYYY.MM.DD" form.
func normDate(s string) string {
	s = strings.ReplaceAll(s, ".", "")
	if !isDate(s) {
		return ""
	}
	return s
}

// normTime turns a TM (HH, HHMM, HHMMSS, HHMMSS.FFFFFF; the old
// "HH:MM:SS" form too) into "HHMMSS.FFFFFF" so that times compare as
// strings; "" if it is not one.
func normTime(s string) string {
	s = strings.ReplaceAll(s, ":", "")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if len(whole) != 2 && len(whole) != 4 && len(whole) != 6 || len(frac) > 6 || hasFrac && (len(whole) != 6 || frac == "") {
		return ""
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return (whole + "0000")[:6] + "." + (frac + "000000")[:6]
}

// matches reports whether value v of a key matches the entity's values.
func matches(a *attribute, key string, vals []string) bool {
	if key == "" || key == "*" {
		return true // universal matching
	}
	if len(vals) == 0 {
		return false
	}
	switch a.vr {
	case "UI":
		for _, u := range splitUIDs(key) {
			for _, v := range vals {
				if u == v {
					return true
				}
			}
		}
		return false
	case "DA", "TM":
		norm := normDate
		if a.vr == "TM" {
			norm = normTime
		}
		lo, hi, isRange := strings.Cut(key, "-")
		if !isRange {
			hi = lo
		}
		if lo != "" {
			lo = norm(lo)
		}
		if hi != "" {
			hi = norm(hi)
		}
		for _, v := range vals {
			if n := norm(v); n != "" && (lo == "" || n >= lo) && (hi == "" || n <= hi) {
				return true
			}
		}
		return false
	case "IS":
		k, _ := strconv.Atoi(strings.TrimPrefix(key, "+"))
		for _, v := range vals {
			if n, err := strconv.Atoi(v); err == nil && n == k {
				return true
			}
		}
		return false
	}
	fold := a.vr == "PN"
	for _, v := range vals {
		if glob(key, v, fold) {
			return true
		}
	}
	return false
}

// glob matches s against pattern p, where * stands for any run of
// characters and ? for one; fold ignores case.
func glob(p, s string, fold bool) bool {
	if fold {
		p, s = strings.ToLower(p), strings.ToLower(s)
	}
	pr, sr := []rune(p), []rune(s)
	// Iterative matching with backtracking to the last star.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(sr) {
		switch {
		case pi < len(pr) && (pr[pi] == '?' || pr[pi] == sr[si]):
			pi++
			si++
		case pi < len(pr) && pr[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '*' {
		pi++
	}
	return pi == len(pr)
}

func (q *Query) match(v view) bool {
	for _, t := range q.terms {
		vals := t.a.get(v)
		ok := false
		for _, key := range t.values {
			if matches(t.a, key, vals) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// MatchStudy reports whether the study matches the query's keys.
func (q *Query) MatchStudy(idx Index) bool {
	return q.match(view{idx: &idx})
}

// MatchSeries reports whether one series of the study matches.
func (q *Query) MatchSeries(idx Index, seriesUID string) bool {
	return q.match(view{idx: &idx, series: seriesUID})
}

// MatchInstance reports whether one instance of the study matches.
func (q *Query) MatchInstance(idx Index, e Entry) bool {
	return q.match(view{idx: &idx, series: e.SeriesInstanceUID, entry: &e})
}

// page applies Offset and Limit to n results.
func (q *Query) page(n int) (int, int) {
	start := min(q.Offset, n)
	end := n
	if q.Limit > 0 && start+q.Limit < end {
		end = start + q.Limit
	}
	return start, end
}

// Studies is the answer to a study search over studies: the DICOM JSON of
// those that match, in the order given, paged.
func (q *Query) Studies(studies []Index) []map[string]any {
	var out []map[string]any
	for _, idx := range studies {
		if q.MatchStudy(idx) {
			out = append(out, StudyJSON(idx))
		}
	}
	start, end := q.page(len(out))
	return out[start:end]
}

// Series is the answer to a series search: each matching series as its
// series attributes plus its study's, studies in the order given and
// series in container order, paged.
func (q *Query) Series(studies []Index) []map[string]any {
	var out []map[string]any
	for _, idx := range studies {
		for _, s := range seriesUIDs(idx) {
			if q.MatchSeries(idx, s) {
				out = append(out, dicomJSON(view{idx: &idx, series: s}, StudyLevel, SeriesJSON(idx, s)))
			}
		}
	}
	start, end := q.page(len(out))
	return out[start:end]
}

// Instances is the answer to an instance search: each matching instance as
// its attributes plus its series' and its study's, in container order,
// paged.
func (q *Query) Instances(studies []Index) []map[string]any {
	var out []map[string]any
	for _, idx := range studies {
		for _, e := range idx.Instances {
			if q.MatchInstance(idx, e) {
				v := view{idx: &idx, series: e.SeriesInstanceUID, entry: &e}
				m := dicomJSON(v, SeriesLevel, InstanceJSON(e))
				out = append(out, dicomJSON(v, StudyLevel, m))
			}
		}
	}
	start, end := q.page(len(out))
	return out[start:end]
}
