package localnet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/creachadair/tomledit"
	"github.com/creachadair/tomledit/parser"
	"github.com/creachadair/tomledit/transform"
	"github.com/pelletier/go-toml/v2"
)

// ---------------------------------------------------------------------------
// Generic trees (decoded YAML, JSON and TOML)

// asMap returns v as a map[string]any if it is a mapping of any flavour.
func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, vv := range m {
			out[fmt.Sprint(k)] = vv
		}
		return out, true
	}
	return nil, false
}

// normalize turns a decoded YAML value into plain JSON-like data:
// map[string]any, []any, string, bool, nil, int64/uint64/float64, *big.Int.
func normalize(v any) any {
	if m, ok := asMap(v); ok {
		out := make(map[string]any, len(m))
		for k, vv := range m {
			out[k] = normalize(vv)
		}
		return out
	}
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case uint:
		return uint64(x)
	case uint32:
		return uint64(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}

var reNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case *big.Int:
		return x.String(), true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// coerceLike converts an override value to the JSON type of the value it
// replaces, so that "amount: 1000" in YAML becomes "1000" where genesis holds
// a string and "max_validators: '50'" becomes 50 where genesis holds a
// number. Objects and list elements are coerced field by field (list
// elements against the first existing element).
func coerceLike(template, v any) any {
	switch t := template.(type) {
	case map[string]any:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(m))
		for k, vv := range m {
			if tv, ok := t[k]; ok {
				out[k] = coerceLike(tv, vv)
			} else {
				out[k] = vv
			}
		}
		return out
	case []any:
		l, ok := v.([]any)
		if !ok || len(t) == 0 {
			return v
		}
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = coerceLike(t[0], e)
		}
		return out
	case string:
		if s, ok := scalarString(v); ok {
			return s
		}
	case json.Number:
		if s, ok := v.(string); ok && reNumber.MatchString(s) {
			return json.Number(s)
		}
	case bool:
		if s, ok := v.(string); ok {
			if b, err := strconv.ParseBool(s); err == nil {
				return b
			}
		}
	}
	return v
}

// MergeJSON deep-merges the override tree src into dst: objects merge key by
// key, anything else (scalars, lists) replaces the existing value after being
// coerced to its JSON type (see coerceLike). dst is modified in place.
func MergeJSON(dst map[string]any, src map[string]any) {
	for k, raw := range src {
		sv := normalize(raw)
		dv, exists := dst[k]
		if sm, ok := sv.(map[string]any); ok {
			if dm, ok := dv.(map[string]any); ok {
				MergeJSON(dm, sm)
				continue
			}
		}
		if exists {
			dst[k] = coerceLike(dv, sv)
		} else {
			dst[k] = sv
		}
	}
}

// decodeJSONObject decodes a JSON object keeping numbers exact.
func decodeJSONObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// ---------------------------------------------------------------------------
// TOML editing

// TOMLSet is one key to set in a TOML document.
type TOMLSet struct {
	Path  []string
	Value any
}

func (s TOMLSet) Key() string { return strings.Join(s.Path, ".") }

// FlattenOverrides turns a nested override tree (validators[].app, .config,
// .client in config.yml) into key paths, sorted for stable output. A dotted
// key ("p2p.pex: false") is split into its parts.
func FlattenOverrides(m map[string]any) []TOMLSet {
	var out []TOMLSet
	var walk func(prefix []string, m map[string]any)
	walk = func(prefix []string, m map[string]any) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(append([]string{}, prefix...), strings.Split(k, ".")...)
			if sub, ok := asMap(m[k]); ok {
				walk(p, sub)
				continue
			}
			out = append(out, TOMLSet{Path: p, Value: normalize(m[k])})
		}
	}
	walk(nil, m)
	return out
}

const tomlRewriteNote = "# Rewritten by the medchain localnet driver (internal/localnet); the\n# template's comments could not be kept. `medchaind init` in a scratch\n# home shows the documented defaults.\n\n"

// EditTOML sets keys in a TOML document. It keeps the document's comments
// (creachadair/tomledit parses and re-formats it), replacing values in
// place and adding missing keys at the end of their table (or a new table
// at the end of the file); the result is
// checked by decoding it with go-toml, and if the in-place edit does not
// decode to exactly the expected tree the document is re-encoded from that
// tree instead (losing comments, never values). It returns the keys that
// did not exist before, which are usually typos worth a warning.
func EditTOML(doc []byte, sets []TOMLSet) ([]byte, []string, error) {
	var before map[string]any
	if err := toml.Unmarshal(doc, &before); err != nil {
		return nil, nil, fmt.Errorf("parsing TOML: %w", err)
	}
	if before == nil {
		before = map[string]any{}
	}
	expected := deepCopy(before).(map[string]any)
	var added []string
	for _, s := range sets {
		if len(s.Path) == 0 {
			return nil, nil, fmt.Errorf("empty key")
		}
		if _, ok := lookup(before, s.Path...); !ok {
			added = append(added, s.Key())
		}
		if err := setPath(expected, s.Path, s.Value); err != nil {
			return nil, nil, err
		}
	}
	want, err := roundTrip(expected)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding TOML: %w", err)
	}
	if out, err := editLines(doc, sets); err == nil {
		var got map[string]any
		if toml.Unmarshal(out, &got) == nil && reflect.DeepEqual(got, want) {
			return out, added, nil
		}
	}
	out, err := toml.Marshal(expected)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding TOML: %w", err)
	}
	return append([]byte(tomlRewriteNote), out...), added, nil
}

func setPath(m map[string]any, path []string, v any) error {
	cur := m
	for i, p := range path[:len(path)-1] {
		next, ok := cur[p]
		if !ok {
			nm := map[string]any{}
			cur[p] = nm
			cur = nm
			continue
		}
		nm, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("cannot set %s: %s is a %T, not a table", strings.Join(path, "."), strings.Join(path[:i+1], "."), next)
		}
		cur = nm
	}
	cur[path[len(path)-1]] = v
	return nil
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, vv := range x {
			out[k] = deepCopy(vv)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func roundTrip(m map[string]any) (map[string]any, error) {
	b, err := toml.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := toml.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

var reBareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func tomlKey(k string) string {
	if reBareKey.MatchString(k) {
		return k
	}
	return strconv.Quote(k)
}

// encodeTOMLValue renders v as the right-hand side of "key = v". Strings
// are written as basic (double-quoted) strings, as in the SDK templates.
func encodeTOMLValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return tomlBasicString(x), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			p, err := encodeTOMLValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	b, err := toml.Marshal(map[string]any{"v": v})
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\n")
	if !strings.HasPrefix(s, "v = ") || strings.Contains(s, "\n") {
		return "", fmt.Errorf("value %v does not fit on one line", v)
	}
	return strings.TrimPrefix(s, "v = "), nil
}

func tomlBasicString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// editLines is the comment-preserving editor (creachadair/tomledit, which
// CometBFT's confix uses too); EditTOML checks its output. A value that
// exists is replaced in place, a missing key is appended to its table, and
// a missing table is added at the end of the document.
func editLines(doc []byte, sets []TOMLSet) ([]byte, error) {
	d, err := tomledit.Parse(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		text, err := encodeTOMLValue(s.Value)
		if err != nil {
			return nil, err
		}
		v, err := parser.ParseValue(text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Key(), err)
		}
		if e := d.First(s.Path...); e != nil && e.IsMapping() {
			e.Value = v
			continue
		}
		table, key := s.Path[:len(s.Path)-1], s.Path[len(s.Path)-1]
		var sec *tomledit.Section
		switch {
		case len(table) == 0:
			if d.Global == nil {
				d.Global = &tomledit.Section{}
			}
			sec = d.Global
		case transform.FindTable(d, table...) != nil:
			sec = transform.FindTable(d, table...).Section
		default:
			sec = &tomledit.Section{Heading: &parser.Heading{Name: parser.Key(table)}}
			d.Sections = append(d.Sections, sec)
		}
		// After everything in its table, comments included: a comment
		// at the end of a table (or of a file that has only one) stays
		// above what is added.
		sec.Items = append(sec.Items, &parser.KeyValue{Name: parser.Key{key}, Value: v})
	}
	var buf bytes.Buffer
	if err := tomledit.Format(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parseTOML decodes a TOML document into a generic tree.
func parseTOML(data []byte) (map[string]any, error) {
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
