package service

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// status answers /sync status <app> to the asker alone.
func (s *Service) status(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	var last, pending []store.Op
	var lerr, perr error
	wait := parallel(func() {
		last, lerr = s.store.ListOps(ctx, store.Filter{App: cmd.App, Limit: 1})
		pending, perr = s.store.ListOps(ctx, store.Filter{App: cmd.App, States: []store.State{store.Pending}, Limit: 1})
	})
	var cluster string
	waitCluster := parallel(func() { cluster = s.clusterLine(ctx, cmd.App) })
	t, err := s.sync.Identify(ctx, cmd.App)
	var r = struct{ State, Variant string }{}
	v := messages.StatusView{App: cmd.App, Now: s.clock.Now()}
	if err == nil {
		read, rerr := s.sync.Read(ctx, t)
		err = rerr
		r.State, r.Variant = read.State, read.Variant
		v.LastDisabled = read.Since
	}
	wait()
	waitCluster()
	v.Cluster = cluster
	if err != nil {
		s.whisper(ctx, log, inv, messages.CouldNotRead(cmd.App, s.book.Problem(err, cmd.App)))
		return
	}
	v.State, v.Kind = r.State, r.Variant
	if lerr != nil || perr != nil {
		log.Error("reading the journal for status failed", "err", fmt.Sprint(lerr, perr))
	}
	if len(last) > 0 {
		v.Last = &last[0]
	}
	if len(pending) > 0 {
		v.Pending = &pending[0]
	}
	s.whisper(ctx, log, inv, s.book.Status(v))
}

const historyLimit = 15

// history answers /sync history [app] to the asker alone.
func (s *Service) history(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	ops, err := s.store.ListOps(ctx, store.Filter{App: cmd.App, Limit: historyLimit})
	if err != nil {
		log.Error("reading history failed", "err", err)
		s.whisper(ctx, log, inv, messages.JournalDown("read the history", "nothing is shown"))
		return
	}
	s.whisper(ctx, log, inv, s.book.History(cmd.App, ops))
}

// pending answers /sync pending to the asker alone: requests waiting for
// approval, and break-glass operations waiting for review.
func (s *Service) pending(ctx context.Context, log *slog.Logger, inv Invocation) {
	var reviews []store.Op
	var rerr error
	wait := parallel(func() { reviews, rerr = s.store.ListOps(ctx, store.Filter{Unreviewed: true}) })
	ops, err := s.store.ListOps(ctx, store.Filter{States: []store.State{store.Pending}})
	wait()
	if err == nil {
		err = rerr
	}
	if err != nil {
		log.Error("reading pending requests failed", "err", err)
		s.whisper(ctx, log, inv, messages.JournalDown("read the pending requests", "nothing is shown"))
		return
	}
	s.whisper(ctx, log, inv, s.book.Pending(ops, reviews, s.clock.Now()))
}
