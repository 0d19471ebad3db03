package slackbot

import (
	"testing"
	"testing/synctest"
	"time"
)

func isOpen(g *gate) bool {
	select {
	case <-g.wait():
		return true
	default:
		return false
	}
}

func TestGateLetsALoneEventThrough(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate(5*time.Millisecond, 100*time.Millisecond)
		g.hold()
		if !isOpen(g) {
			t.Fatal("a lone event closed the gate: its work would wait for nothing")
		}
		time.Sleep(10 * time.Millisecond) // fake time
		g.hold()
		if !isOpen(g) {
			t.Fatal("an event after a quiet spell closed the gate")
		}
	})
}

func TestGateHoldsWorkDuringABurstAndOpensWhenQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate(5*time.Millisecond, 100*time.Millisecond)
		start := time.Now()
		for range 10 { // 10 events 1 ms apart
			g.hold()
			time.Sleep(time.Millisecond)
		}
		if isOpen(g) {
			t.Fatal("gate open during a burst")
		}
		<-g.wait()
		// The last event came at 9 ms: open 5 ms later.
		if got := time.Since(start); got != 14*time.Millisecond {
			t.Errorf("opened after %v, want 14ms", got)
		}
	})
}

func TestGateOpensAfterMaxHoldInASteadyStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate(5*time.Millisecond, 20*time.Millisecond)
		start := time.Now()
		opened := make(chan time.Duration, 1)
		go func() {
			<-g.wait()
			opened <- time.Since(start)
		}()
		for range 50 { // never quiet for 5 ms
			g.hold()
			time.Sleep(time.Millisecond)
		}
		// Closed by the second event, at 1 ms: open by 21 ms at the latest.
		if got := <-opened; got > 21*time.Millisecond {
			t.Errorf("work waited %v in a steady stream, want at most 21ms", got)
		}
	})
}
