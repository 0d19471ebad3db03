package messages_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
)

// triggerOp is a trigger operation on orders-sync of prod by alice.
func triggerOp(kind store.Kind, state store.State) store.Op {
	op := store.Op{
		ID: 42, Kind: kind, App: "prod", Requester: "UALICE", RequesterName: "alice", Channel: "COPS",
		Target: store.Target{Kind: store.TriggerTarget, GroupID: "g", AppID: "a", Name: "64b7f0c2a1b2c3d4e5f60720"},
		State:  state, SyncKind: "orders-sync", SyncBefore: "enabled", SyncAfter: "disabled", CreatedAt: t0, UpdatedAt: t0,
	}
	switch kind {
	case store.Disable:
		op.Reason = "hammering prod <!channel> & <http://evil|Approve>"
	case store.Enable:
		op.SyncBefore, op.SyncAfter = "disabled", "enabled"
	case store.Resume:
		op.SyncBefore, op.SyncAfter = "suspended", "enabled"
	case store.ResumeSkip:
		op.SyncBefore, op.SyncAfter = "suspended", "enabled"
		op.Reason, op.ExpiresAt = "token gone, orders piling up <@UEVE>", t0.Add(15*time.Minute)
	}
	return op
}

// triggerGoldenCases are the trigger messages, one per golden file.
func triggerGoldenCases(book messages.Book) map[string]messages.Message {
	decided := func(s store.State, by string) func(*store.Op) {
		return func(o *store.Op) { o.State, o.DecidedBy = s, by }
	}
	rows := []messages.TriggerRow{
		{Name: "orders-sync", Type: "DATABASE", State: "enabled", LastProcessed: t0.Add(-2 * time.Minute)},
		{Name: "orders-audit", Type: "DATABASE", State: "suspended", Error: "(InvalidResumeToken) the change stream was invalidated"},
		{Name: "daily-report", Type: "SCHEDULED", State: "disabled", LastProcessed: t0.Add(-26 * time.Hour)},
	}
	return map[string]messages.Message{
		"trigger_list":              book.TriggerList("prod", rows, t0),
		"trigger_list_empty":        book.TriggerList("prod", nil, t0),
		"trigger_disable_running":   book.TriggerChange(triggerOp(store.Disable, store.Executing)),
		"trigger_disable_succeeded": book.TriggerChange(triggerOp(store.Disable, store.Succeeded)),
		"trigger_enable_succeeded":  book.TriggerChange(triggerOp(store.Enable, store.Succeeded)),
		"trigger_resume_succeeded":  book.TriggerChange(triggerOp(store.Resume, store.Succeeded)),
		"trigger_resume_token_gone": book.TriggerChange(with(triggerOp(store.Resume, store.Failed), func(o *store.Op) {
			o.Outcome = book.OutcomeTokenGone("prod", "orders-sync")
		})),
		"skip_card_pending":   book.SkipMissedCard(triggerOp(store.ResumeSkip, store.Pending), t0),
		"skip_card_executing": book.SkipMissedCard(with(triggerOp(store.ResumeSkip, store.Executing), decided(store.Executing, "UBOB")), t0),
		"skip_card_succeeded": book.SkipMissedCard(with(triggerOp(store.ResumeSkip, store.Succeeded), decided(store.Succeeded, "UBOB")), t0),
		"skip_card_failed": book.SkipMissedCard(with(triggerOp(store.ResumeSkip, store.Failed), func(o *store.Op) {
			o.DecidedBy, o.Outcome = "UBOB", messages.OutcomeTriggerChanged("suspended", "enabled")
		}), t0),
		"skip_card_denied":          book.SkipMissedCard(with(triggerOp(store.ResumeSkip, store.Denied), decided(store.Denied, "UBOB")), t0),
		"skip_card_expired":         book.SkipMissedCard(triggerOp(store.ResumeSkip, store.Expired), t0),
		"trigger_not_found":         book.TriggerNotFound("prod", "invoices", false, []string{"daily-report", "orders-audit"}),
		"trigger_ambiguous":         book.TriggerNotFound("prod", "orders", true, []string{"orders-audit", "orders-sync"}),
		"reminder_trigger_disabled": book.TriggerDisabledReminder(triggerOp(store.Disable, store.Succeeded), t0.Add(25*time.Hour)),
		"history_triggers":          book.History("prod", []store.Op{with(triggerOp(store.ResumeSkip, store.Succeeded), decided(store.Succeeded, "UBOB")), triggerOp(store.Disable, store.Succeeded)}),
		"pending_skip_missed":       book.Pending([]store.Op{triggerOp(store.ResumeSkip, store.Pending)}, nil, t0.Add(time.Minute)),
		"status_with_triggers":      book.Status(messages.StatusView{App: "prod", State: "enabled", Kind: "flexible_sync", Now: t0, Triggers: messages.TriggerSummary(rows)}),
	}
}

func TestTriggerSummary(t *testing.T) {
	rows := []messages.TriggerRow{{State: "enabled"}, {State: "suspended"}, {State: "enabled"}}
	if got := messages.TriggerSummary(rows); got != "3 triggers: 2 enabled, 1 suspended" {
		t.Errorf("summary = %q", got)
	}
	if got := messages.TriggerSummary(rows[:1]); got != "1 trigger: 1 enabled" {
		t.Errorf("summary = %q", got)
	}
}

// No trigger message shows a trigger's id, and user text stays inert.
func TestTriggerMessagesShowNoIDAndInertText(t *testing.T) {
	for name, m := range triggerGoldenCases(book) {
		b, _ := json.Marshal(m)
		s := string(b)
		if strings.Contains(s, "64b7f0c2a1b2c3d4e5f60720") {
			t.Errorf("%s shows the trigger id", name)
		}
		for _, bad := range []string{"<!channel>", "<http://evil|Approve>", "<@UEVE>"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s: live %q", name, bad)
			}
		}
		if m.Text == "" {
			t.Errorf("%s: no text fallback", name)
		}
	}
}

// The longest, most escaped names Atlas could hand back still make cards
// Slack takes: trigger and cluster names are not ours to bound.
func TestLongestNamesFitSlack(t *testing.T) {
	long := strings.Repeat("&<", 150)
	for _, st := range []store.State{store.Pending, store.Succeeded, store.Failed, store.Denied} {
		op := triggerOp(store.ResumeSkip, st)
		op.SyncKind, op.DecidedBy = long, "UBOB"
		withinLimits(t, "skip card "+string(st)+" with a long trigger name", book.SkipMissedCard(op, t0))
		op.Kind = store.Disable
		withinLimits(t, "trigger change "+string(st)+" with a long trigger name", book.TriggerChange(op))
	}
}
