package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/commands"
	"github.com/syncbot/syncbot/internal/messages"
)

// The rules are pure (approval.Rules, approval.Policy); the service only
// looks up who is in the user groups they name.

// authorize applies SYNC_OPERATORS, SYNC_CHANNELS and SYNC_BREAKGLASS to a
// change. When it refuses it tells the asker why and what to do instead,
// and returns false; nothing has been journaled.
func (s *Service) authorize(ctx context.Context, log *slog.Logger, inv Invocation, cmd commands.Command) bool {
	refuse := func(why string, m messages.Message) bool {
		log.Info("change refused", "why", why)
		setOutcome(ctx, "refused")
		s.whisper(ctx, log, inv, m)
		return false
	}
	rules := s.cfg.Rules
	c := approval.Change{User: inv.UserID, Channel: inv.ChannelID, BreakGlass: cmd.BreakGlass}
	members, err := s.groups.members(ctx, rules.Groups(c))
	if err != nil {
		what := fmt.Sprintf("%s *%s*", cmd.Verb, cmd.App)
		if cmd.BreakGlass {
			what = "use break-glass"
		}
		return refuse("user group lookup failed", lookupFailed(ctx, log, what, err, "Nothing was done"))
	}
	switch rules.MayChange(c, members) {
	case approval.NotOperator:
		return refuse("not an operator", s.book.NotOperator(fmt.Sprintf("%s *%s*", cmd.Verb, cmd.App), rules.Operators))
	case approval.NotHere:
		return refuse("not an operations channel", s.book.NotHere(rules.Channels, string(cmd.Verb), cmd.App))
	case approval.BreakGlassOff:
		return refuse("break-glass is off", s.book.BreakGlassOff(cmd.App))
	case approval.NotBreakGlasser:
		return refuse("not a break-glass user", s.book.NotBreakGlassUser(cmd.App, rules.Breakglass))
	}
	return true
}

// mayApprove reports whether user passes SYNC_APPROVERS.
func (s *Service) mayApprove(ctx context.Context, user string) (bool, error) {
	members, err := s.groups.members(ctx, s.cfg.Policy.ApproverGroups(user))
	if err != nil {
		return false, err
	}
	return s.cfg.Policy.MayApprove(user, members), nil
}

// lookupFailed says that whether the person may do what could not be
// checked, because a user group lookup failed.
func lookupFailed(ctx context.Context, log *slog.Logger, what string, err error, nothing string) messages.Message {
	log.Warn("user group lookup failed; refusing", "err", err)
	group, detail := "a user group", "Slack did not answer"
	var ge *groupError
	if errors.As(err, &ge) {
		group = messages.Mention(ge.group)
		var se slack.SlackErrorResponse
		if errors.As(ge.err, &se) && se.Err != "" {
			detail = "Slack answered `" + messages.Escape(se.Err) + "`"
			if se.Err == "missing_scope" {
				detail += ": syncbot needs the `usergroups:read` scope"
			}
		} else if ctx.Err() != nil {
			detail = "syncbot was shutting down"
		}
	}
	return messages.LookupFailed(what, group, detail, nothing)
}

// groupError is a failed user group lookup.
type groupError struct {
	group string
	err   error
}

func (e *groupError) Error() string {
	return fmt.Sprintf("members of user group %s: %v", e.group, e.err)
}
func (e *groupError) Unwrap() error { return e.err }

// groupCache remembers who is in each user group for ttl, so a click does
// not cost a Slack call, while a change of membership is seen within ttl.
// Failed lookups are not remembered.
type groupCache struct {
	slack Slack
	clock clock.Clock
	ttl   time.Duration

	mu   sync.Mutex
	seen map[string]groupEntry
}

type groupEntry struct {
	users []string
	at    time.Time
}

func newGroupCache(sl Slack, clk clock.Clock, ttl time.Duration) *groupCache {
	return &groupCache{slack: sl, clock: clk, ttl: ttl, seen: map[string]groupEntry{}}
}

// members returns each group's members; the first failed lookup is a
// *groupError.
func (g *groupCache) members(ctx context.Context, groups []string) (map[string][]string, error) {
	out := make(map[string][]string, len(groups))
	for _, id := range groups {
		users, err := g.get(ctx, id)
		if err != nil {
			return nil, &groupError{group: id, err: err}
		}
		out[id] = users
	}
	return out, nil
}

func (g *groupCache) get(ctx context.Context, id string) ([]string, error) {
	now := g.clock.Now()
	g.mu.Lock()
	e, ok := g.seen[id]
	g.mu.Unlock()
	if ok && now.Sub(e.at) < g.ttl {
		return e.users, nil
	}
	users, err := g.slack.UsergroupMembers(ctx, id)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.seen[id] = groupEntry{users: slices.Clone(users), at: now}
	g.mu.Unlock()
	return users, nil
}
