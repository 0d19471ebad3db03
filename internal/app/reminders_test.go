package app_test

import (
	"strings"
	"testing"
	"time"
)

func TestExpiryReminderOnceInTheCardsThread(t *testing.T) {
	e := newEnv(t)
	card := e.requestTerminate("prod")
	e.advance(9 * time.Minute)
	if n := len(e.threadReplies(card.TS)); n != 0 {
		t.Fatalf("%d reminders 6 minutes before expiry", n)
	}
	e.advance(2 * time.Minute) // 4 minutes left
	r := e.threadReplies(card.TS)
	if len(r) != 1 || !strings.Contains(r[0].Text, "T-1 expires in 4 min") {
		t.Fatalf("reminders = %+v", r)
	}
	e.advance(time.Minute)
	if n := len(e.threadReplies(card.TS)); n != 1 {
		t.Errorf("%d reminders, want exactly 1", n)
	}
	e.advance(5 * time.Minute)
	e.waitCard(card.TS, "expired")
	if n := len(e.threadReplies(card.TS)); n != 1 {
		t.Errorf("%d reminders after expiry, want 1", n)
	}
}

func TestPausedReminderEveryIntervalWhilePaused(t *testing.T) {
	e := newEnv(t)
	e.command(alice, "pause prod cluster maintenance")
	e.channelMessage("Paused")
	reminders := func() []string {
		var r []string
		for _, m := range e.slack.Messages(channel) {
			if strings.Contains(m.Text, "still paused") {
				r = append(r, m.Text+"\n"+readable(m.Blocks))
			}
		}
		return r
	}
	e.advance(23 * time.Hour)
	if n := len(reminders()); n != 0 {
		t.Fatalf("%d reminders before the interval", n)
	}
	e.advance(time.Hour + time.Minute)
	r := reminders()
	if len(r) != 1 {
		t.Fatalf("%d reminders after a day, want 1", len(r))
	}
	for _, want := range []string{"*prod* is still paused", "<@UALICE>", "cluster maintenance", "oplog window", "30 days", "/sync resume prod"} {
		if !strings.Contains(r[0], want) {
			t.Errorf("reminder lacks %q:\n%s", want, r[0])
		}
	}
	e.advance(time.Hour)
	if n := len(reminders()); n != 1 {
		t.Fatalf("%d reminders within the second day, want 1", n)
	}
	e.advance(24 * time.Hour)
	if n := len(reminders()); n != 2 {
		t.Fatalf("%d reminders after two days, want 2", n)
	}
	e.command(bob, "resume prod")
	e.channelMessage("Resumed")
	e.advance(48 * time.Hour)
	if n := len(reminders()); n != 2 {
		t.Errorf("%d reminders after resume, want still 2", n)
	}
}
