package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// status answers /sync status <app> to the asker alone.
func (s *Service) status(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	var last, pending []store.Op
	var lerr, perr error
	wait := parallel(func() {
		last, lerr = s.store.ListOps(ctx, store.Filter{App: cmd.App, Limit: 1})
		pending, perr = s.store.ListOps(ctx, store.Filter{App: cmd.App, States: []store.State{store.Pending}, Limit: 1})
	})
	triggers := ""
	waitTriggers := parallel(func() {
		triggers = s.glances.line(ctx, "triggers/"+cmd.App, func(ctx context.Context) string { return s.triggerSummary(ctx, log, cmd.App) })
	})
	var r target.Reading
	var cluster string
	waitCluster := parallel(func() {
		cluster = s.glances.line(ctx, "cluster/"+cmd.App, func(ctx context.Context) string { return s.clusterLine(ctx, cmd.App) })
	})
	t, err := s.sync.Identify(ctx, cmd.App)
	if err == nil {
		r, err = s.sync.Read(ctx, t)
	}
	wait()
	waitTriggers()
	waitCluster()
	switch {
	case errors.Is(err, adminapi.ErrSyncNotConfigured) && !errors.Is(err, adminapi.ErrNotFound):
		// Since Device Sync's end of life, what an app may still have is
		// its triggers and its cluster: say them.
		md := s.book.Problem(err, cmd.App)
		for _, line := range []string{triggers, cluster} {
			if line != "" {
				md += "\n" + line
			}
		}
		s.whisper(ctx, log, inv, messages.Text(md))
		return
	case err != nil:
		s.whisper(ctx, log, inv, messages.CouldNotRead(cmd.App, s.book.Problem(err, cmd.App)))
		return
	}
	v := messages.StatusView{App: cmd.App, State: r.State, Kind: r.Variant, LastDisabled: r.Since, Now: s.clock.Now(), Triggers: triggers, Cluster: cluster}
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

// historyScan is how many operations history reads: it shows the newest
// few and counts the rest ("…and N more"), up to this many.
const historyScan = 1000

// history answers /sync history [app] to the asker alone.
func (s *Service) history(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	ops, err := s.store.ListOps(ctx, store.Filter{App: cmd.App, Limit: historyScan})
	if err != nil {
		log.Error("reading history failed", "err", err)
		s.whisper(ctx, log, inv, messages.JournalDown("read the history", "nothing is shown"))
		return
	}
	s.whisper(ctx, log, inv, s.listBook(inv).History(cmd.App, ops))
}

// listBook renders lists for inv: with SYNC_CHANNELS set, an answer given
// elsewhere leaves the reasons out, since they may name customers or
// incidents that the people of that channel need not read.
func (s *Service) listBook(inv Invocation) messages.Book {
	if ch := s.cfg.Rules.Channels; len(ch) > 0 && !slices.Contains(ch, inv.ChannelID) {
		return s.book.WithoutReasons()
	}
	return s.book
}

// pending answers /sync pending [app] to the asker alone: requests waiting
// for approval, and break-glass operations waiting for review.
func (s *Service) pending(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) {
	var reviews []store.Op
	var rerr error
	wait := parallel(func() { reviews, rerr = s.store.ListOps(ctx, store.Filter{App: cmd.App, Unreviewed: true}) })
	ops, err := s.store.ListOps(ctx, store.Filter{App: cmd.App, States: []store.State{store.Pending}})
	wait()
	if err == nil {
		err = rerr
	}
	if err != nil {
		log.Error("reading pending requests failed", "err", err)
		s.whisper(ctx, log, inv, messages.JournalDown("read the pending requests", "nothing is shown"))
		return
	}
	s.whisper(ctx, log, inv, s.listBook(inv).Pending(ops, reviews, s.clock.Now()))
}
