package sensor

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestOptAgreesWithEncodingJSON feeds literals to opt and to encoding/json:
// both must accept the same ones with the same value.
func TestOptAgreesWithEncodingJSON(t *testing.T) {
	literals := []string{
		"0", "7", "-0", "-1", "1.0", "1.5", "1e3", "-1e-3", "0.05", "100.00",
		"18446744073709551615", "18446744073709551616", "4294967295", "4294967296",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "1e400", `"12"`, "true", "false", "{}", "[]",
	}
	for _, lit := range literals {
		t.Run(lit, func(t *testing.T) {
			same[uint64](t, lit)
			same[uint32](t, lit)
			same[int](t, lit)
			same[float64](t, lit)
			same[bool](t, lit)
		})
	}
}

func same[T uint64 | uint32 | int | float64 | bool](t *testing.T, lit string) {
	t.Helper()
	var want T
	wantErr := json.Unmarshal([]byte(lit), &want)
	var got opt[T]
	err := json.Unmarshal([]byte(lit), &got)
	if (err == nil) != (wantErr == nil) || got.v != want || got.ok != (err == nil) {
		t.Errorf("%T: opt %v (ok %v, err %v), encoding/json %v (err %v)", want, got.v, got.ok,
			err, want, wantErr)
	}
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		t.Errorf("%T: error %v is not an UnmarshalTypeError", want, err)
	}
}

func TestOptNull(t *testing.T) {
	var o opt[uint64]
	if err := json.Unmarshal([]byte("null"), &o); err != nil || o.ok {
		t.Errorf("null: ok %v, err %v", o.ok, err)
	}
	var s struct {
		N opt[int] `json:"n"`
	}
	err := json.Unmarshal([]byte(`{"n":"x"}`), &s)
	if err == nil || !strings.Contains(err.Error(), "n") {
		t.Errorf("type error without the field: %v", err)
	}
}
