package service

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/syncbot/syncbot/internal/clock"
)

// glances keeps the extra lines of /sync status (an app's triggers, its
// cluster) for a few seconds, and lets concurrent asks share one read.
// Without it a burst of status commands (an incident channel all asking at
// once) spent Admin API and Atlas calls on the same two lines per app:
// 200 status on 2 apps took 18 s instead of 1 (docs/benchmarks.md). The
// sync state itself is always read fresh, and the commands that change or
// list triggers and clusters read them fresh too.
type glances struct {
	clock   clock.Clock
	ttl     time.Duration
	flights singleflight.Group

	mu   sync.Mutex
	seen map[string]glance
}

type glance struct {
	line string
	at   time.Time
}

// glanceTTL is how long a status line is reused.
const glanceTTL = 10 * time.Second

func newGlances(clk clock.Clock) *glances {
	return &glances{clock: clk, ttl: glanceTTL, seen: map[string]glance{}}
}

// line returns key's line, reading it with read when it is older than the
// TTL. A read runs detached from any one asker's context (bounded by
// read itself), so one asker giving up does not fail the others.
func (g *glances) line(ctx context.Context, key string, read func(context.Context) string) string {
	now := g.clock.Now()
	if line, ok := g.fresh(key, now); ok {
		return line
	}
	v, _, _ := g.flights.Do(key, func() (any, error) {
		// An ask that missed just as a flight ended finds its line here.
		if line, ok := g.fresh(key, now); ok {
			return line, nil
		}
		line := read(context.WithoutCancel(ctx))
		g.mu.Lock()
		g.seen[key] = glance{line: line, at: now}
		g.mu.Unlock()
		return line, nil
	})
	return v.(string)
}

func (g *glances) fresh(key string, now time.Time) (string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.seen[key]
	return e.line, ok && now.Sub(e.at) < g.ttl
}
