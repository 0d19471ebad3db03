package adminapi

import (
	"context"
	"fmt"
	"sync"
)

// flights lets concurrent callers asking for the same thing share one
// piece of work (one login, one config GET), like x/sync/singleflight, with
// one difference that matters here: the shared work runs on a context of its
// own that is cancelled when the LAST waiting caller gives up. With
// singleflight the work either runs on the first caller's context (so that
// caller's cancel fails everyone) or on a detached one (so it outlives
// everyone).
type flights[T any] struct {
	mu sync.Mutex
	m  map[string]*flight[T]
}

type flight[T any] struct {
	done    chan struct{}
	val     T
	err     error
	waiters int
	cancel  context.CancelFunc
}

// do returns the result of fn for key, running it unless a run for key is
// already in flight, in which case it waits for that run. ctx bounds only
// this caller's wait; fn gets a context carrying ctx's values that ends
// when every waiter has left. op names the work in a cancellation error.
func (g *flights[T]) do(ctx context.Context, key, op string, fn func(context.Context) (T, error)) (T, error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = make(map[string]*flight[T])
	}
	f, ok := g.m[key]
	if !ok {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight[T]{done: make(chan struct{}), cancel: cancel}
		g.m[key] = f
		go func() {
			defer cancel()
			f.val, f.err = fn(fctx)
			g.mu.Lock()
			if g.m[key] == f {
				delete(g.m, key)
			}
			g.mu.Unlock()
			close(f.done)
		}()
	}
	f.waiters++
	g.mu.Unlock()

	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		g.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			// Nobody wants the answer any more: stop the work, and make
			// sure a later caller starts afresh instead of joining a run
			// that is being cancelled.
			f.cancel()
			if g.m[key] == f {
				delete(g.m, key)
			}
		}
		g.mu.Unlock()
		var zero T
		return zero, fmt.Errorf("admin api: %s: %w", op, ctx.Err())
	}
}

// forget makes the next do for key start a new run even if one is in
// flight; callers already waiting keep waiting for the old one. Used after a
// PATCH so that nobody is handed a config read that began before it.
func (g *flights[T]) forget(key string) {
	g.mu.Lock()
	delete(g.m, key)
	g.mu.Unlock()
}

// waiting reports how many callers wait on the run for key (for tests).
func (g *flights[T]) waiting(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.m[key]; ok {
		return f.waiters
	}
	return 0
}
