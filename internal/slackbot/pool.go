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

// pool runs jobs on at most `workers` goroutines fed by a bounded FIFO.
// Only the socket reader enqueues, and it never waits: a full pool is
// reported to the caller, who answers "busy".
//
// Workers are started on demand and exit when the queue is empty, so an
// idle bot holds none, and the bound can be high (DefaultWorkers): handler
// calls spend their time waiting on the Admin API, and a burst of commands
// must be able to wait on it together (200 statuses of one app share one
// GET only if all 200 are in flight at once).
type pool struct {
	ctx      context.Context // handler ctx: outlives Run's ctx until drained
	log      *slog.Logger
	workers  int
	queueCap int
	gate     *gate
	notes    chan struct{} // bounds best-effort busy notes in flight
	wg       sync.WaitGroup

	mu      sync.Mutex
	running int    // worker goroutines alive
	queue   []*job // accepted, waiting for a worker
}

func newPool(ctx context.Context, workers, queue int, log *slog.Logger) *pool {
	p := &pool{
		ctx:      ctx,
		log:      log,
		workers:  workers,
		queueCap: queue,
		gate:     newGate(workQuiet, workMaxHold),
		notes:    make(chan struct{}, workers),
	}
	p.gate.onOpen = p.start
	return p
}

// tryEnqueue hands j to the pool unless workers and queue are all busy.
// While the gate is shut (a burst is arriving) it only queues: the
// workers start when the gate opens, so that starting and scheduling a
// goroutine per envelope does not compete with the acks of the burst.
func (p *pool) tryEnqueue(j *job) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running+len(p.queue) >= p.workers+p.queueCap {
		return false
	}
	p.queue = append(p.queue, j)
	if p.gate.isOpen() {
		p.startLocked()
	}
	return true
}

// start runs workers for what is queued, up to the bound; the gate calls
// it when it opens.
func (p *pool) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startLocked()
}

// startLocked hands each queued job a worker of its own, up to the bound.
// The job leaves the queue here, not when its worker is first scheduled,
// so that running+len(queue) counts every accepted job once.
func (p *pool) startLocked() {
	for p.running < p.workers && len(p.queue) > 0 {
		j := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.running++
		p.wg.Go(func() { p.work(j) })
	}
}

// work runs j, then whatever is queued, and exits when the queue is empty.
func (p *pool) work(j *job) {
	for ; j != nil; j = p.next() {
		<-j.acked
		// Ack first, across the whole burst: see gate.
		select {
		case <-p.gate.wait():
		case <-p.ctx.Done():
		}
		if p.ctx.Err() != nil {
			// Drain timed out before this job started; running it now
			// would only fail on the cancelled ctx.
			p.log.Warn("dropping queued envelope: shutdown drain timed out", "envelope_id", j.envelopeID)
		} else {
			p.run(j)
		}
	}
}

// next pops the oldest queued job, or retires the calling worker.
func (p *pool) next() *job {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		p.running--
		return nil
	}
	j := p.queue[0]
	p.queue[0] = nil
	p.queue = p.queue[1:]
	return j
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

// drain waits up to timeout for queued and running work. It reports
// whether everything finished. Only call it once the reader has stopped
// enqueueing.
func (p *pool) drain(timeout time.Duration) bool {
	// Jobs queued behind a shut gate have no worker yet, so wg does not
	// count them: open it now, which starts them.
	p.gate.openNow()
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

// How long handler work waits for the socket to go quiet (see gate).
const (
	workQuiet   = 5 * time.Millisecond
	workMaxHold = 100 * time.Millisecond
)

// gate keeps handler work from starting while a burst of envelopes is
// still arriving, so that acks come first across the whole burst and not
// only before their own envelope's work.
//
// Why: Go has no goroutine priorities. When 200 commands arrive together,
// the first ones' handlers (journal reads in modernc SQLite, JSON) would
// otherwise take both CPUs while slack-go's receiver, decoder and ack
// writer and our reader (four goroutines handing each envelope along) wait
// in the run queue behind them: on 2 cores the burst's ack p99 was 14 ms
// (up to 100 ms on a busy machine) against 6-8 ms for a bare slack-go
// handler. With the gate, and workers started only once it opens, the
// bot's p99 is within noise of the bare handler's (docs/benchmarks.md).
//
// The reader calls hold for every event. An event that comes alone (none
// in the previous quiet) leaves the gate open, so a lone command's work
// starts at once. An event that follows another within quiet closes it;
// it opens again once no event has come for quiet, or when it has been
// closed for maxHold, so a steady stream delays work by at most maxHold
// and never starves it. A few milliseconds are nothing next to an Admin
// API round trip.
type gate struct {
	quiet, maxHold time.Duration

	mu       sync.Mutex
	ch       chan struct{} // closed while the gate is open
	open     bool
	last     time.Time // the previous event
	closedAt time.Time // when it last closed
	due      time.Time // when it may open
	timer    *time.Timer
	onOpen   func() // called, unlocked, each time the gate opens
}

func newGate(quiet, maxHold time.Duration) *gate {
	g := &gate{quiet: quiet, maxHold: maxHold, ch: make(chan struct{}), open: true}
	close(g.ch)
	return g
}

// wait returns a channel that is closed once work may start.
func (g *gate) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ch
}

// openNow opens the gate at once (for the shutdown drain); the timer,
// when it fires, finds it open.
func (g *gate) openNow() {
	g.mu.Lock()
	g.due = time.Time{}
	g.mu.Unlock()
	g.release()
}

// isOpen reports whether work may start now.
func (g *gate) isOpen() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// hold notes an event from the socket.
func (g *gate) hold() {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	burst := now.Sub(g.last) < g.quiet
	g.last = now
	if g.open {
		if !burst {
			return
		}
		g.open, g.ch, g.closedAt = false, make(chan struct{}), now
	}
	g.due = now.Add(g.quiet)
	if last := g.closedAt.Add(g.maxHold); last.Before(g.due) {
		g.due = last
	}
	if g.timer == nil {
		g.timer = time.AfterFunc(g.due.Sub(now), g.release)
	} else {
		g.timer.Reset(g.due.Sub(now))
	}
}

// release opens the gate when it is due; a timer that fired early (it
// raced a hold) is set again.
func (g *gate) release() {
	g.mu.Lock()
	if g.open {
		g.mu.Unlock()
		return
	}
	if d := time.Until(g.due); d > 0 {
		g.timer.Reset(d)
		g.mu.Unlock()
		return
	}
	g.open = true
	close(g.ch)
	g.mu.Unlock()
	if g.onOpen != nil {
		g.onOpen()
	}
}
