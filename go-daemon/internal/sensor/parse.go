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

// knownKeys are the member names of every object of the schema.
var knownKeys = func() map[string]bool {
	keys := make(map[string]bool)
	for _, v := range []any{Snapshot{}, Memory{}, Process{}, Container{}} {
		t := reflect.TypeOf(v)
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			keys[name] = true
		}
	}
	return keys
}()

// checkKeys refuses a member name that is not exactly one of the schema's.
// encoding/json matches names without regard to case ("Kind", or "\u212aind"
// with a Kelvin sign, fills Kind), and DisallowUnknownFields refuses only
// names that match no field at all: with both, every name is exact. data
// has been decoded already, so it is valid JSON.
func checkKeys(data []byte) error {
	for i := 0; i < len(data); i++ {
		if data[i] != '"' {
			continue
		}
		end, escaped := i+1, false
		for ; data[end] != '"'; end++ {
			if data[end] == '\\' {
				end++
				escaped = true
			}
		}
		next := end + 1
		for next < len(data) && strings.IndexByte(" \t\r\n", data[next]) >= 0 {
			next++
		}
		if next < len(data) && data[next] == ':' {
			if err := checkKey(data[i:end+1], escaped); err != nil {
				return err
			}
		}
		i = end
	}
	return nil
}

// checkKey checks one member name, a JSON string literal with its quotes.
func checkKey(lit []byte, escaped bool) error {
	if knownKeys[string(lit[1:len(lit)-1])] {
		return nil
	}
	name := string(lit[1 : len(lit)-1])
	if escaped && json.Unmarshal(lit, &name) == nil && knownKeys[name] {
		return nil // a known name written with escapes
	}
	return fmt.Errorf("%w: unknown field %q (names are case-sensitive)", ErrInvalid, name)
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
