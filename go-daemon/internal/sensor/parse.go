package sensor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Errors Parse wraps, for errors.Is.
var (
	ErrEmpty         = errors.New("empty snapshot")
	ErrTruncated     = errors.New("truncated snapshot")
	ErrSchemaVersion = errors.New("unsupported schema_version")
	ErrInvalid       = errors.New("invalid snapshot")
)

// Parse decodes one snapshot strictly: see the package documentation.
func Parse(data []byte) (*Snapshot, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	var w wireSnapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, decodeError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the end of the object", ErrInvalid)
	}
	if err := checkKeys(data); err != nil {
		return nil, err
	}
	return w.snapshot()
}

// ParseKind is Parse that also requires the given kind.
func ParseKind(data []byte, want Kind) (*Snapshot, error) {
	s, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if s.Kind != want {
		return nil, fmt.Errorf("%w: kind is %q, want %q", ErrInvalid, s.Kind, want)
	}
	return s, nil
}

// decodeError explains a failed decode. Another schema_version is reported
// as such even when the new schema's fields are what the decoder tripped on.
func decodeError(data []byte, err error) error {
	var v struct {
		SchemaVersion json.RawMessage `json:"schema_version"`
	}
	if json.Unmarshal(data, &v) == nil && v.SchemaVersion != nil &&
		string(v.SchemaVersion) != "1" {
		return fmt.Errorf("%w: %s, want %d", ErrSchemaVersion, v.SchemaVersion, SchemaVersion)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the input ends inside the document (%d bytes)", ErrTruncated, len(data))
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		t := typeErr.Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		return fmt.Errorf("%w: %s: a JSON %s is not a valid %s", ErrInvalid,
			locate(data, typeErr.Field), typeErr.Value, typeName(t.Kind().String()))
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		where := locate(data, "")
		if where != "" {
			where += ": "
		}
		return fmt.Errorf("%w: %sunknown field %s", ErrInvalid, where, msg)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Errorf("%w: JSON syntax at byte %d: %v", ErrInvalid, syntaxErr.Offset, err)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return fmt.Errorf("%w: %s", ErrInvalid, msg)
}

// knownKeys numbers the member names of every object of the schema.
var knownKeys = func() map[string]uint {
	keys := make(map[string]uint)
	for _, v := range []any{Snapshot{}, Memory{}, Process{}, Container{}} {
		t := reflect.TypeOf(v)
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if _, ok := keys[name]; !ok {
				keys[name] = uint(len(keys))
			}
		}
	}
	if len(keys) > 64 {
		panic("sensor: more member names than a uint64 has bits")
	}
	return keys
}()

// checkKeys refuses a member name that is not exactly one of the schema's,
// and a name given twice in one object (encoding/json keeps the last one
// silently). encoding/json matches names without regard to case ("Kind", or
// "\u212aind" with a Kelvin sign, fills Kind), and DisallowUnknownFields
// refuses only names that match no field at all: with both, every name is
// exact. data has been decoded already, so it is valid JSON, and its objects
// nest at most two deep.
func checkKeys(data []byte) error {
	var seen [4]uint64 // the names met so far in each open object
	depth := -1
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			depth++
			if depth >= len(seen) {
				return fmt.Errorf("%w: objects nested %d deep", ErrInvalid, depth+1)
			}
			seen[depth] = 0
		case '}':
			depth--
		case '"':
			end, escaped := stringEnd(data, i)
			if isKey(data, end) {
				bit, err := keyBit(data[i:end+1], escaped)
				if err != nil {
					return err
				}
				if seen[depth]&bit != 0 {
					return fmt.Errorf("%w: member %s appears twice in one object", ErrInvalid,
						data[i:end+1])
				}
				seen[depth] |= bit
			}
			i = end
		}
	}
	return nil
}

// stringEnd returns the index of the quote closing the string that opens at
// start, and whether the string holds escapes.
func stringEnd(data []byte, start int) (int, bool) {
	escaped := false
	end := start + 1
	for ; data[end] != '"'; end++ {
		if data[end] == '\\' {
			end++
			escaped = true
		}
	}
	return end, escaped
}

// isKey reports whether the string closing at end is a member name: a ':'
// follows it.
func isKey(data []byte, end int) bool {
	next := end + 1
	for next < len(data) && strings.IndexByte(" \t\r\n", data[next]) >= 0 {
		next++
	}
	return next < len(data) && data[next] == ':'
}

// keyBit checks one member name, a JSON string literal with its quotes, and
// returns its bit in a set of names.
func keyBit(lit []byte, escaped bool) (uint64, error) {
	if n, ok := knownKeys[string(lit[1:len(lit)-1])]; ok {
		return 1 << n, nil
	}
	name := string(lit[1 : len(lit)-1])
	if escaped && json.Unmarshal(lit, &name) == nil {
		if n, ok := knownKeys[name]; ok {
			return 1 << n, nil // a known name written with escapes
		}
	}
	return 0, fmt.Errorf("%w: unknown field %q (names are case-sensitive)", ErrInvalid, name)
}

// locate names the array element a decode error came from, as
// "processes[3].pid" for field "processes.pid", by decoding each element on
// its own. It runs only after a decode failed, so its cost does not matter.
// An error outside the arrays keeps field as it is.
func locate(data []byte, field string) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return field
	}
	if m, ok := top["memory"]; ok && strictDecode(m, &wireMemory{}) != nil {
		if strings.HasPrefix(field, "memory.") {
			return field
		}
		return "memory"
	}
	for _, name := range []string{"processes", "containers"} {
		var items []json.RawMessage
		if json.Unmarshal(top[name], &items) != nil {
			continue
		}
		for i, item := range items {
			var dst any = &wireProcess{}
			if name == "containers" {
				dst = &wireContainer{}
			}
			if strictDecode(item, dst) == nil {
				continue
			}
			where := fmt.Sprintf("%s[%d]", name, i)
			if rest, ok := strings.CutPrefix(field, name+"."); ok {
				return where + "." + rest
			}
			return where
		}
	}
	return field
}

func strictDecode(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// typeName says what JSON value a Go kind wanted, in the schema's words.
func typeName(kind string) string {
	switch {
	case strings.HasPrefix(kind, "uint"):
		return "non-negative integer"
	case strings.HasPrefix(kind, "int"):
		return "integer"
	case strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "slice":
		return "array"
	case kind == "struct":
		return "object"
	}
	return kind
}
