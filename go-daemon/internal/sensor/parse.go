package sensor

import (
	"errors"
	"fmt"
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
	return nil, fmt.Errorf("parse snapshot: %w", errors.New("not implemented yet"))
}

// ParseKind is Parse that also requires the given kind.
func ParseKind(data []byte, want Kind) (*Snapshot, error) {
	return nil, fmt.Errorf("parse %s: %w", want, errors.New("not implemented yet"))
}
