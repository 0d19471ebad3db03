package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/approval"
	"github.com/syncbot/syncbot/internal/clock"
)

// Who may do what. The two-person rule (approval.Policy) always holds; the
// rest is optional and off until configured:
//
//	SYNC_SLACK_TEAM_ID, SYNC_SLACK_APP_ID  envelopes from elsewhere are ignored
//	SYNC_OPERATORS   who may pause, resume and terminate
//	SYNC_CHANNELS    where those changes may be asked for
//	SYNC_BREAKGLASS  who may terminate without approval
//	SYNC_APPROVERS   who may approve, deny and acknowledge a break-glass review
//
// Read-only commands (status, history, pending, help) are open to all. A
// list may name user groups (S…); their members are looked up in Slack and
// trusted for GroupTTL. A lookup that fails refuses, never allows.

// elsewhere says why an envelope is not for this install ("" if it is).
func (s *Service) elsewhere(team, app string) string {
	switch {
	case s.cfg.Team != "" && team != s.cfg.Team:
		return "it comes from another Slack workspace than SYNC_SLACK_TEAM_ID"
	case s.cfg.AppID != "" && app != s.cfg.AppID:
		return "it is addressed to another Slack app than SYNC_SLACK_APP_ID"
	}
	return ""
}

// outsider reports whether the clicker is signed in to another workspace
// than the one syncbot serves (Slack Connect): SYNC_SLACK_TEAM_ID, or else
// the envelope's own workspace.
func (s *Service) outsider(c Click) bool {
	home := s.cfg.Team
	if home == "" {
		home = c.TeamID
	}
	return c.UserTeamID != "" && home != "" && c.UserTeamID != home
}

// includes reports whether user is in l, looking up its user groups only
// when user is not named directly.
func (s *Service) includes(ctx context.Context, l approval.List, user string) (bool, error) {
	if l.Names(user) {
		return true, nil
	}
	groups := l.Groups()
	if len(groups) == 0 {
		return false, nil
	}
	members, err := s.groups.members(ctx, groups)
	if err != nil {
		return false, err
	}
	return l.Includes(user, members), nil
}

// mayApprove reports whether user passes SYNC_APPROVERS.
func (s *Service) mayApprove(ctx context.Context, user string) (bool, error) {
	approvers := s.cfg.Policy.Approvers()
	if approvers.Empty() {
		return true, nil
	}
	return s.includes(ctx, approvers, user)
}

// authorize applies SYNC_OPERATORS, SYNC_CHANNELS and SYNC_BREAKGLASS to a
// change. When it refuses it tells the asker why and what to do instead,
// and returns false; nothing has been journaled.
func (s *Service) authorize(ctx context.Context, log *slog.Logger, inv Invocation, cmd Command) bool {
	refuse := func(why, md string) bool {
		log.Info("change refused", "why", why)
		setOutcome(ctx, "refused")
		s.whisper(ctx, log, inv, text(md))
		return false
	}
	what := fmt.Sprintf("%s *%s*", cmd.Verb, cmd.App)
	if ops := s.cfg.Operators; !ops.Empty() {
		ok, err := s.includes(ctx, ops, inv.UserID)
		if err != nil {
			return refuse("operator lookup failed", lookupFailed(ctx, log, what, err, "Nothing was done"))
		}
		if !ok {
			return refuse("not an operator", fmt.Sprintf(
				"Only syncbot's operators may pause, resume or terminate sync, and you are not one of them, so you cannot %s. Operators: %s. Nothing was done; `/sync status`, `history`, `pending` and `help` are open to everyone.",
				what, mentions(ops)))
		}
	}
	if chs := s.cfg.Channels; len(chs) > 0 && !slices.Contains(chs, inv.ChannelID) {
		return refuse("not an operations channel", fmt.Sprintf(
			"Sync changes are asked for only in %s, where the people on call see them. Nothing was done; run `%s %s %s` there.",
			channelList(chs), s.cfg.Command, cmd.Verb, cmd.App))
	}
	if !cmd.BreakGlass {
		return true
	}
	instead := fmt.Sprintf("To terminate with a second person's approval: `%s terminate %s &lt;reason…&gt;`.", s.cfg.Command, cmd.App)
	bg := s.cfg.Breakglass
	if bg.Empty() {
		return refuse("break-glass is off", "Break-glass is not enabled here (`SYNC_BREAKGLASS` names no one), so nothing was done. "+instead)
	}
	ok, err := s.includes(ctx, bg, inv.UserID)
	if err != nil {
		return refuse("break-glass lookup failed", lookupFailed(ctx, log, "use break-glass", err, "Nothing was done"))
	}
	if !ok {
		return refuse("not a break-glass user", fmt.Sprintf("Only %s may use break-glass, so nothing was done. %s", mentions(bg), instead))
	}
	return true
}

// lookupFailed says that whether the person may do what could not be
// checked, because a user group lookup failed.
func lookupFailed(ctx context.Context, log *slog.Logger, what string, err error, nothing string) string {
	log.Warn("user group lookup failed; refusing", "err", err)
	group, detail := "a user group", "Slack did not answer"
	var ge *groupError
	if errors.As(err, &ge) {
		group = mention(ge.group)
		var se slack.SlackErrorResponse
		if errors.As(ge.err, &se) && se.Err != "" {
			detail = "Slack answered `" + escape(se.Err) + "`"
			if se.Err == "missing_scope" {
				detail += ": syncbot needs the `usergroups:read` scope"
			}
		} else if ctx.Err() != nil {
			detail = "syncbot was shutting down"
		}
	}
	return fmt.Sprintf("I could not check whether you may %s: I could not find out who is in %s (%s). %s; try again in a moment.",
		what, group, detail, nothing)
}

func channelList(ids []string) string {
	m := make([]string, len(ids))
	for i, id := range ids {
		m[i] = "<#" + id + ">"
	}
	return strings.Join(m, " or ")
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
