package sensor

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
)

// opt is a number or boolean field of the wire types that remembers whether
// the document had it, without a pointer (one allocation) per field: a
// snapshot of 500 processes has 7,500 of them.
type opt[T uint64 | uint32 | int | float64 | bool] struct {
	v  T
	ok bool
}

// UnmarshalJSON takes one JSON literal; null leaves the field missing. A
// wrong kind of value is a *json.UnmarshalTypeError, which the decoder
// completes with the field's path.
func (o *opt[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var err error
	switch v := any(&o.v).(type) {
	case *uint64:
		*v, err = parseUint(b, math.MaxUint64, reflect.TypeFor[uint64]())
	case *uint32:
		var n uint64
		n, err = parseUint(b, math.MaxUint32, reflect.TypeFor[uint32]())
		*v = uint32(n)
	case *int:
		*v, err = parseInt(b)
	case *float64:
		*v, err = parseFloat(b)
	case *bool:
		*v, err = parseBool(b)
	}
	o.ok = err == nil
	return err
}

// literalKind names a JSON literal's kind as the decoder's errors do.
func literalKind(b []byte) string {
	switch b[0] {
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "number " + string(b)
}

func typeError(b []byte, t reflect.Type) error {
	return &json.UnmarshalTypeError{Value: literalKind(b), Type: t}
}

// parseUint reads a JSON integer of at most max; the decoder has checked
// that b is a JSON value.
func parseUint(b []byte, max uint64, t reflect.Type) (uint64, error) {
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, typeError(b, t)
		}
		d := uint64(c - '0')
		if n > (max-d)/10 {
			return 0, typeError(b, t)
		}
		n = n*10 + d
	}
	return n, nil
}

func parseInt(b []byte) (int, error) {
	t := reflect.TypeFor[int]()
	neg := len(b) > 1 && b[0] == '-'
	digits, max := b, uint64(math.MaxInt64)
	if neg {
		digits, max = b[1:], max+1
	}
	n, err := parseUint(digits, max, t)
	if err != nil {
		return 0, typeError(b, t)
	}
	if neg {
		return int(-n), nil // -(1<<63) wraps to math.MinInt64, as it should
	}
	return int(n), nil
}

func parseFloat(b []byte) (float64, error) {
	if b[0] != '-' && (b[0] < '0' || b[0] > '9') {
		return 0, typeError(b, reflect.TypeFor[float64]())
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, typeError(b, reflect.TypeFor[float64]())
	}
	return f, nil
}

func parseBool(b []byte) (bool, error) {
	switch string(b) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, typeError(b, reflect.TypeFor[bool]())
}
