package config

import (
	"fmt"
	"log/slog"
)

// Secret holds a token, key or database URL. Every way fmt, slog or
// encoding/json has of printing it gives "[redacted]"; Reveal is the one way
// to read it, so a leak has to be written on purpose.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret value, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string               { return redacted }
func (s Secret) GoString() string             { return redacted }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Format covers every verb (%x and %q included), which String alone does not.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }
