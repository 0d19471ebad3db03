package service

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/clock"
)

// A burst of asks for one line costs one read; the line is read again once
// it is older than the TTL.
func TestGlancesShareOneReadAndExpire(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	g := newGlances(clk)
	var reads atomic.Int32
	release := make(chan struct{})
	read := func(context.Context) string { reads.Add(1); <-release; return "3 triggers: 3 enabled" }
	var wg sync.WaitGroup
	got := make([]string, 50)
	for i := range got {
		wg.Go(func() { got[i] = g.line(t.Context(), "triggers/prod", read) })
	}
	close(release)
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Errorf("%d reads for 50 concurrent asks, want 1", n)
	}
	for i, l := range got {
		if l != "3 triggers: 3 enabled" {
			t.Fatalf("ask %d got %q", i, l)
		}
	}
	g.line(t.Context(), "triggers/prod", read)
	if n := reads.Load(); n != 1 {
		t.Errorf("a fresh line was read again (%d reads)", n)
	}
	clk.Advance(glanceTTL)
	g.line(t.Context(), "triggers/prod", read)
	if n := reads.Load(); n != 2 {
		t.Errorf("%d reads after the TTL, want 2", n)
	}
}
