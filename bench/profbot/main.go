// Command profbot is cmd/bot with profiling, for investigating a figure of
// the benchmark (go test ./bench/ -bench … -profile-dir DIR): it runs the
// same app.Run, and writes an execution trace (BENCH_TRACE) and a CPU
// profile (BENCH_CPUPROFILE) of its whole life, plus a heap profile
// (BENCH_HEAPPROFILE) at exit, and the goroutines (BENCH_GOROUTINES) on
// SIGUSR1. It is not the shipped binary: the figures in
// docs/benchmarks.md come from ./cmd/bot.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"syscall"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/config"
)

func main() {
	// As cmd/bot does (keep in step with it).
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(20 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if p := os.Getenv("BENCH_TRACE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			panic(err)
		}
		if err := trace.Start(f); err != nil {
			panic(err)
		}
		defer func() { trace.Stop(); f.Close() }()
	}
	if p := os.Getenv("BENCH_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			panic(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			panic(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if p := os.Getenv("BENCH_HEAPPROFILE"); p != "" {
		defer func() {
			f, err := os.Create(p)
			if err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	if p := os.Getenv("BENCH_GOROUTINES"); p != "" {
		// SIGUSR1 dumps the goroutines, to see what a peak is made of.
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			for range usr1 {
				if f, err := os.Create(p); err == nil {
					_ = pprof.Lookup("goroutine").WriteTo(f, 1)
					f.Close()
				}
			}
		}()
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "profbot:", err)
		os.Exit(2)
	}
	if err := app.Run(ctx, cfg, app.NewLogger(os.Stderr, cfg.LogFormat), app.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "profbot:", err)
		os.Exit(1)
	}
}
