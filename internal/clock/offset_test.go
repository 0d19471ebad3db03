package clock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/clock"
)

func TestOffsetNowFollowsWallClockPlusOffset(t *testing.T) {
	c := clock.NewOffset()
	before := time.Now()
	got := c.Now()
	after := time.Now()
	if got.Before(before) || got.After(after) {
		t.Fatalf("Now = %v, want within [%v, %v]", got, before, after)
	}
	c.Advance(16 * time.Minute)
	c.Advance(-time.Hour) // ignored: never backwards
	before = time.Now()
	got = c.Now()
	after = time.Now()
	if got.Before(before.Add(16*time.Minute)) || got.After(after.Add(16*time.Minute)) {
		t.Fatalf("Now after Advance(16m) = %v, want wall clock + 16m (%v)", got, before.Add(16*time.Minute))
	}
	if c.Offset() != 16*time.Minute {
		t.Fatalf("Offset = %v, want 16m", c.Offset())
	}
}

func TestOffsetAfterFiresOnAdvanceOnlyWhenDue(t *testing.T) {
	c := clock.NewOffset()
	start := c.Now()
	late := c.After(time.Hour)
	early := c.After(15 * time.Minute)
	if c.Waiters() != 2 {
		t.Fatalf("waiters = %d, want 2", c.Waiters())
	}
	c.Advance(14 * time.Minute)
	select {
	case <-early:
		t.Fatal("fired 1 minute before due")
	default:
	}
	c.Advance(time.Minute) // Advance fires synchronously
	select {
	case got := <-early:
		if got.Before(start.Add(15 * time.Minute)) {
			t.Fatalf("early delivered %v, before its due time %v", got, start.Add(15*time.Minute))
		}
	default:
		t.Fatal("not fired once due")
	}
	select {
	case <-late:
		t.Fatal("the 1h waiter fired after 15m")
	default:
	}
	if c.Waiters() != 1 {
		t.Fatalf("waiters = %d, want 1", c.Waiters())
	}
	c.Advance(time.Hour)
	<-late
	if c.Waiters() != 0 {
		t.Fatalf("waiters = %d, want 0", c.Waiters())
	}
}

func TestOffsetAfterFiresOnRealTime(t *testing.T) {
	c := clock.NewOffset()
	c.Advance(time.Hour)
	start := c.Now()
	select {
	case got := <-c.After(20 * time.Millisecond):
		if got.Sub(start) < 20*time.Millisecond {
			t.Fatalf("fired after %v, want at least 20ms", got.Sub(start))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("After(20ms) did not fire on real time")
	}
	if c.Waiters() != 0 {
		t.Fatalf("waiters = %d, want 0", c.Waiters())
	}
	select {
	case <-c.After(0):
	default:
		t.Fatal("After(0) is not ready at once")
	}
}

// TestOffsetConcurrent is for -race: waiters fired by timers and by Advance
// at once each deliver exactly one value.
func TestOffsetConcurrent(t *testing.T) {
	c := clock.NewOffset()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch := c.After(time.Duration(i%5+1) * time.Millisecond * 3)
			<-ch
			select {
			case <-ch:
				t.Error("a waiter fired twice")
			default:
			}
		}()
	}
	for range 10 {
		c.Advance(time.Millisecond)
		_ = c.Now()
	}
	wg.Wait()
}

var _ clock.Clock = (*clock.Offset)(nil)
