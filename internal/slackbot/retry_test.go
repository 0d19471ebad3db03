package slackbot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/syncbot/syncbot/internal/fakeslack"
	"github.com/syncbot/syncbot/internal/slackbot"
)

func TestRateLimitedPostIsSentOnceAfterRetryAfter(t *testing.T) {
	e := start(t, &handler{}, nil)
	e.fake.FailMethod("chat.postMessage", fakeslack.Fault{Status: 429, RetryAfter: 1, Times: 1})
	began := time.Now()
	ts, err := e.bot.Post(testCtx(t), "C1", slackbot.Message{Text: "hello"})
	if err != nil {
		t.Fatalf("Post after a 429: %v", err)
	}
	if waited := time.Since(began); waited < time.Second {
		t.Errorf("retried after %v, before Retry-After", waited)
	}
	if ms := e.fake.Messages("C1"); len(ms) != 1 || ms[0].TS != ts {
		t.Errorf("messages = %+v, want the one post", ms)
	}
	if !strings.Contains(e.logs.String(), "slack web api: retrying") {
		t.Errorf("the retry is not logged:\n%s", e.logs.String())
	}
}

func TestServerErrorsAreRetriedThenReported(t *testing.T) {
	e := start(t, &handler{}, nil)
	ts, err := e.bot.Post(testCtx(t), "C1", slackbot.Message{Text: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.FailMethod("chat.update", fakeslack.Fault{Status: 503, Times: 3})
	if err := e.bot.Update(testCtx(t), "C1", ts, slackbot.Message{Text: "v2"}); err != nil {
		t.Fatalf("Update after three 503s: %v", err)
	}
	e.fake.FailMethod("chat.update", fakeslack.Fault{Status: 503, Times: 4})
	err = e.bot.Update(testCtx(t), "C1", ts, slackbot.Message{Text: "v3"})
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 503 {
		t.Fatalf("Update after four 503s = %v, want the 503", err)
	}
	if m, _ := e.fake.Message("C1", ts); m.Text != "v2" {
		t.Errorf("message reads %q, want v2", m.Text)
	}
}

func TestRetryWaitEndsWithTheContext(t *testing.T) {
	e := start(t, &handler{}, nil)
	e.fake.FailMethod("chat.postMessage", fakeslack.Fault{Status: 429, RetryAfter: 20})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := e.bot.Post(ctx, "C1", slackbot.Message{Text: "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Post = %v, want the ctx's deadline", err)
	}
	if waited := time.Since(began); waited > 10*time.Second {
		t.Errorf("Post waited %v after its ctx ended", waited)
	}
	if n := len(e.fake.Messages("C1")); n != 0 {
		t.Errorf("%d messages", n)
	}
}
