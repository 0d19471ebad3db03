package app_test

import (
	"github.com/syncbot/syncbot/internal/config"
	"io"
	"log/slog"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type configT = config.Config
