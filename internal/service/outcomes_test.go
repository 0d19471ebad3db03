package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/messages"
	"github.com/syncbot/syncbot/internal/store"
	"github.com/syncbot/syncbot/internal/target"
)

// A change Atlas did not confirm is neither "failed, nothing changed" nor
// done: it is unknown, and everyone is told to look first.
func TestUnconfirmedChangeIsUnknown(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{kind: func(k target.Kind) target.Kind { return unconfirmedApply{k} }})
	w.command(alice, "pause prod")
	op := w.op(1)
	if op.State != store.Unknown {
		t.Fatalf("journal: %s %q, want unknown", op.State, op.Outcome)
	}
	shown := w.slack.shown(op)
	if !strings.Contains(shown, "prod may or may not have been paused: check /sync status prod before doing anything else") {
		t.Errorf("the channel shows %q", shown)
	}
	if strings.Contains(shown, "failed") || strings.Contains(shown, "Nothing was changed") {
		t.Errorf("an unknown outcome reads as a failure: %q", shown)
	}
	w.command(alice, "history prod")
	if got := w.slack.lastWhisper(); !strings.Contains(got, "Recent operations on prod: 1") {
		t.Errorf("history: %q", got)
	}
}

// unconfirmedApply sends nothing and answers as a PATCH whose outcome the
// client could not confirm.
type unconfirmedApply struct{ target.Kind }

func (unconfirmedApply) Apply(context.Context, store.Target, target.Reading, string) error {
	return fmt.Errorf("admin api: set sync state: %w", adminapi.ErrOutcomeUnknown)
}

// Re-enabling terminated sync says which saved configuration goes back and
// that clients must reset, not that paused changes upload.
func TestReenableSaysWhatItResendsAndWhatItCosts(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	w.admin.SetSync(groupID, appA, adminapi.KindFlexible, []byte(`{"state":"enabled","database_name":"orders"}`))
	w.command(alice, "terminate prod reset")
	w.click(bob, messages.ActionApprove, 1)
	w.command(alice, "resume prod")
	op := w.op(2)
	if op.State != store.Succeeded || !strings.Contains(op.Detail, "database `orders`") || !strings.Contains(op.Detail, "by T-1") {
		t.Fatalf("resume: %s, detail %q", op.State, op.Detail)
	}
	m := w.slack.updates[op.MessageTS]
	all := m.Text + blockText(m)
	for _, want := range []string{"Re-enabled", "Configuration re-sent:", "client reset"} {
		if !strings.Contains(all, want) {
			t.Errorf("the message lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "upload now") {
		t.Errorf("a re-enable speaks of uploads after a pause:\n%s", all)
	}
}

// A saved configuration that may not be right is not re-sent without
// --saved: another sync kind today, a terminate outside syncbot, or too old.
func TestResumeAsksBeforeResendingADoubtfulConfiguration(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(w *world)
		why   string
	}{
		{"kind changed", func(w *world) {
			w.admin.SetSync(groupID, appA, adminapi.KindPartition, []byte(`{"state":""}`))
		}, "sync kind is now Partition-Based Sync"},
		{"too old", func(w *world) { w.clock.Advance(31 * 24 * time.Hour) }, "SYNC_SNAPSHOT_MAX_AGE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, stores["sqlite"](t)(), worldOptions{maxAge: 30 * 24 * time.Hour})
			w.command(alice, "terminate prod reset")
			w.click(bob, messages.ActionApprove, 1)
			tt.setup(w)
			w.command(alice, "resume prod")
			if got := w.slack.lastWhisper(); !strings.Contains(got, tt.why) || !strings.Contains(got, "/sync resume prod --saved") {
				t.Errorf("resume answered %q", got)
			}
			if n := w.patches(appA); n != 1 {
				t.Fatalf("%d PATCHes after resume, want only the terminate's", n)
			}
			w.command(alice, "resume prod --saved")
			if w.state(appA) != adminapi.StateEnabled {
				t.Errorf("resume --saved left sync %q", w.state(appA))
			}
		})
	}
	t.Run("terminated outside syncbot", func(t *testing.T) {
		w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
		w.command(alice, "pause prod") // saves the configuration, tagged with the pause
		w.admin.SetSync(groupID, appA, adminapi.KindFlexible, []byte(`{"state":""}`))
		w.command(alice, "resume prod")
		if got := w.slack.lastWhisper(); !strings.Contains(got, "terminated outside syncbot") {
			t.Errorf("resume answered %q", got)
		}
		if n := w.patches(appA); n != 1 {
			t.Errorf("%d PATCHes, want the pause's only", n)
		}
	})
}

// An open draft refuses a resume even when the sync object is gone: the
// PATCH would land in the draft and not deploy.
func TestResumeIntoAnOpenDraftIsRefused(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	w.command(alice, "terminate prod reset")
	w.click(bob, messages.ActionApprove, 1)
	w.admin.SetSync(groupID, appA, "", nil)
	w.admin.SetDraft(groupID, appA, true)
	w.command(alice, "resume prod")
	if got := w.slack.lastWhisper(); !strings.Contains(got, "open draft") {
		t.Errorf("resume answered %q", got)
	}
	if n := w.patches(appA); n != 1 {
		t.Errorf("%d PATCHes, want the terminate's only", n)
	}
}

func blockText(m messages.Message) string {
	b, _ := jsonMarshal(m.Blocks)
	return string(b)
}

// An app without a sync object (Device Sync's end of life) is said to have
// none, with the date it ended, on status and on a change alike.
func TestNoSyncObjectSaysDeviceSyncEnded(t *testing.T) {
	w := newWorld(t, stores["sqlite"](t)(), worldOptions{})
	w.admin.SetSync(groupID, appA, "", nil)
	for _, cmd := range []string{"status prod", "pause prod"} {
		w.command(alice, cmd)
		got := w.slack.lastWhisper()
		if !strings.Contains(got, "Device Sync is not configured for `prod`") || strings.Count(got, "30 September 2025") != 1 {
			t.Errorf("%s answered %q", cmd, got)
		}
	}
	if n := w.patches(appA); n != 0 {
		t.Errorf("%d PATCHes", n)
	}
}
