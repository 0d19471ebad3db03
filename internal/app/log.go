package app

import (
	"io"
	"log/slog"
)

// NewLogger returns the process logger: JSON for machines (the default),
// text for a terminal.
func NewLogger(w io.Writer, format string) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}
