package slackbot

import (
	"context"
	"log/slog"
	"sync"
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

// While a burst arrives the pool only queues: no worker goroutine starts
// (and competes with the acks) until the gate opens, and then every
// queued job runs.
func TestPoolStartsNoWorkerWhileTheGateIsShut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t.Context(), 2, 10, slog.New(slog.DiscardHandler))
		var mu sync.Mutex
		var ran []int
		for i := range 5 {
			p.gate.hold()
			j := &job{acked: make(chan struct{}), run: func(context.Context) {
				mu.Lock()
				defer mu.Unlock()
				ran = append(ran, i)
			}}
			if !p.tryEnqueue(j) {
				t.Fatalf("job %d refused", i)
			}
			close(j.acked)
			time.Sleep(time.Millisecond) // fake time: a burst, 1 ms apart
		}
		synctest.Wait()
		p.mu.Lock()
		running, queued := p.running, len(p.queue)
		p.mu.Unlock()
		// The first event looked alone, so its job ran at once.
		mu.Lock()
		first := append([]int(nil), ran...)
		mu.Unlock()
		if running != 0 || queued != 4 || len(first) != 1 {
			t.Fatalf("during the burst: %d workers, %d queued, ran %v; want 0, 4 and the first job", running, queued, first)
		}
		<-p.gate.wait()
		synctest.Wait()
		p.wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(ran) != 5 {
			t.Fatalf("ran %v once the gate opened, want all 5", ran)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.running != 0 || len(p.queue) != 0 {
			t.Errorf("after the burst: %d workers, %d queued; want none", p.running, len(p.queue))
		}
	})
}

// A job counts once against the pool's capacity from the moment it is
// accepted, whether or not its worker has been scheduled yet.
func TestPoolCountsEachAcceptedJobOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t.Context(), 1, 1, slog.New(slog.DiscardHandler))
		release := make(chan struct{})
		var ran sync.WaitGroup
		enqueue := func() bool {
			j := &job{acked: make(chan struct{}), run: func(context.Context) { <-release; ran.Done() }}
			close(j.acked)
			ran.Add(1)
			if !p.tryEnqueue(j) {
				ran.Done()
				return false
			}
			return true
		}
		// One worker and one queue place: two jobs fit, the third does not,
		// even before the first job's worker has run.
		if !enqueue() || !enqueue() {
			t.Fatal("a job was refused with a worker or a queue place free")
		}
		if enqueue() {
			t.Fatal("a third job was accepted by a pool of one worker and one queue place")
		}
		synctest.Wait()
		p.mu.Lock()
		running, queued := p.running, len(p.queue)
		p.mu.Unlock()
		if running != 1 || queued != 1 {
			t.Errorf("%d workers, %d queued; want 1 and 1", running, queued)
		}
		close(release)
		ran.Wait()
		p.wg.Wait()
	})
}

// The shutdown drain runs a job that was queued behind a shut gate and
// has no worker yet, instead of reporting an empty pool.
func TestPoolDrainRunsJobsQueuedBehindTheGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t.Context(), 4, 4, slog.New(slog.DiscardHandler))
		p.gate.hold()
		p.gate.hold() // a burst: the gate is shut
		ran := make(chan struct{})
		j := &job{acked: make(chan struct{}), run: func(context.Context) { close(ran) }}
		close(j.acked)
		if !p.tryEnqueue(j) {
			t.Fatal("job refused")
		}
		if !p.drain(time.Second) {
			t.Fatal("drain timed out")
		}
		select {
		case <-ran:
		default:
			t.Fatal("drain reported an empty pool while an acked job was still queued")
		}
	})
}
