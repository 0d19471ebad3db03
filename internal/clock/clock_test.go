package clock_test

import (
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/clock"
)

func TestFakeFiresInOrderOnlyWhenDue(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.NewFake(start)
	late := c.After(2 * time.Minute)
	early := c.After(time.Minute)
	c.Advance(59 * time.Second)
	select {
	case <-early:
		t.Fatal("fired before due")
	default:
	}
	c.Advance(time.Second)
	if got := <-early; !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("early fired at %v", got)
	}
	if c.Waiters() != 1 {
		t.Fatalf("waiters = %d, want 1", c.Waiters())
	}
	c.Advance(time.Hour)
	<-late
	if c.Waiters() != 0 {
		t.Fatalf("waiters = %d, want 0", c.Waiters())
	}
	c.Set(start) // never backwards
	if !c.Now().Equal(start.Add(time.Hour + time.Minute)) {
		t.Fatalf("clock moved backwards to %v", c.Now())
	}
}
