package slackbot

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// job is one acked envelope waiting for a worker.
type job struct {
	envelopeID string
	// acked is closed once the ack has been handed to slack-go, so a
	// handler never races its own ack onto the wire.
	acked chan struct{}
	run   func(ctx context.Context)
}

// pool runs jobs on a fixed set of workers fed by a bounded queue. Only the
// socket reader enqueues, and it never waits: a full pool is reported to
// the caller, who answers "busy".
type pool struct {
	ctx   context.Context // handler ctx: outlives Run's ctx until drained
	log   *slog.Logger
	queue chan *job
	notes chan struct{} // bounds best-effort busy notes in flight
	wg    sync.WaitGroup
}

func newPool(ctx context.Context, workers, queue int, log *slog.Logger) *pool {
	p := &pool{
		ctx:   ctx,
		log:   log,
		queue: make(chan *job, queue),
		notes: make(chan struct{}, workers),
	}
	for range workers {
		p.wg.Go(p.work)
	}
	return p
}

// tryEnqueue hands j to the pool unless workers and queue are all busy.
func (p *pool) tryEnqueue(j *job) bool {
	select {
	case p.queue <- j:
		return true
	default:
		return false
	}
}

func (p *pool) work() {
	for j := range p.queue {
		<-j.acked
		if p.ctx.Err() != nil {
			// Drain timed out before this job started; running it now
			// would only fail on the cancelled ctx.
			p.log.Warn("dropping queued envelope: shutdown drain timed out", "envelope_id", j.envelopeID)
			continue
		}
		p.run(j)
	}
}

// run calls the handler, keeping a panic from taking the bot down with it.
func (p *pool) run(j *job) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("handler panicked", "envelope_id", j.envelopeID, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	j.run(p.ctx)
}

// goNote runs fn on its own goroutine, best effort: it is skipped when as
// many notes as there are workers are already in flight, so a flood of
// clicks cannot turn into a flood of goroutines.
func (p *pool) goNote(fn func(ctx context.Context)) bool {
	select {
	case p.notes <- struct{}{}:
	default:
		return false
	}
	p.wg.Go(func() {
		defer func() { <-p.notes }()
		fn(p.ctx)
	})
	return true
}

// drain stops intake and waits up to timeout for queued and running work.
// It reports whether everything finished. Only call it once the reader has
// stopped enqueueing.
func (p *pool) drain(timeout time.Duration) bool {
	close(p.queue)
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
