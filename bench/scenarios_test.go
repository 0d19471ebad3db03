package bench

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/clock"
	"github.com/syncbot/syncbot/internal/config"
	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeslack"
)

// Every scenario below is a plain function of its sizes, so the benchmarks
// (full size, figures reported) and TestSmoke (tiny, counts checked) run
// the same code.

// isStatusAnswer matches the ephemeral answer to a /sync status.
func isStatusAnswer(ev fakeslack.Event) bool {
	return ev.Kind == fakeslack.KindEphemeral && strings.Contains(ev.Ephemeral.Text, ": Device Sync is ")
}

func statusTexts(n int, apps []string) []string {
	return texts(n, func(i int) string { return "status " + apps[i%len(apps)] })
}

// ackRun is one burst's ack latencies and time to the last answer.
type ackRun struct {
	acks       dist
	lastAnswer time.Duration // first write → last status answer (0 for the bare handler)
	idle, peak int64         // bot process memory (0 for the bare handler)
}

// runBareAcks is the floor: the bare slack-go handler, the same burst.
func runBareAcks(w *world, n int) ackRun {
	_, bare := binaries(w.tb)
	p := w.startProc(bare)
	defer p.stop()
	acks := w.ackWatch(n)
	ids, _ := w.burst(alice, statusTexts(n, w.apps))
	evs := acks.wait(w.tb, "acks from the bare handler", 30*time.Second)
	return ackRun{acks: ackLatencies(w.tb, evs, ids)}
}

// runStatusBurst starts a fresh bot on w and sends n status commands over
// w's apps. With warm set it first waits for the background warm-up (login
// and services lookup), which is the "cold start" of burst A: a process that
// has just started and has read no config yet. Without it, the burst goes
// out the moment the socket is up.
func runStatusBurst(w *world, n int, warm bool) ackRun {
	tb := w.tb
	botBin, _ := binaries(tb)
	p := w.startProc(botBin)
	defer p.stop()
	if warm {
		p.waitWarm(60 * time.Second)
	}
	idle, _ := p.memory()
	answers := w.count(n, func(ev fakeslack.Event) bool { return isStatusAnswer(ev) && ev.Ephemeral.User == alice })
	acks := w.ackWatch(n)
	ids, start := w.burst(alice, statusTexts(n, w.apps))
	answers.wait(tb, "status answers", 5*time.Minute)
	last := answers.lastAt().Sub(start)
	evs := acks.wait(tb, "acks", 30*time.Second)
	_, peak := p.memory()
	return ackRun{acks: ackLatencies(tb, evs, ids), lastAnswer: last, idle: idle, peak: peak}
}

// changeRun is burst B: pauses of distinct apps.
type changeRun struct {
	first, median, last time.Duration // first write → results
	failed              int
	callsPerChange      float64 // non-auth Admin API calls / changes
	authCalls           int     // logins and refreshes during the burst
	acks                dist
	idle, peak          int64
	start               time.Time        // the first command's write
	calls               []fakeadmin.Call // Admin API calls of the burst
}

// ownTime is, for a single change, the bot's own time on its critical path:
// from the command's write to its first Admin API call, from the last read
// answered to the PATCH, and from the PATCH answered to the channel
// message showing the result. Admin API latency and answer time are left
// out; loopback transit and the fakes' parsing are in.
func (r changeRun) ownTime() time.Duration {
	var firstRead, readsDone, patchAt, patchDone time.Time
	for _, c := range r.calls {
		done := c.At.Add(c.Duration)
		switch {
		case c.Method == "PATCH":
			patchAt, patchDone = c.At, done
		case c.Method == "GET" && !isAuth(c):
			if firstRead.IsZero() || c.At.Before(firstRead) {
				firstRead = c.At
			}
			if done.After(readsDone) {
				readsDone = done
			}
		}
	}
	return firstRead.Sub(r.start) + patchAt.Sub(readsDone) + r.start.Add(r.last).Sub(patchDone)
}

// runPauseBurst starts a bot on w (every app running), lets it warm up with
// no latency, then sets latency L and pauses every app at once.
func runPauseBurst(w *world, latency time.Duration) changeRun {
	tb := w.tb
	botBin, _ := binaries(tb)
	w.admin.SetLatency(0)
	p := w.startProc(botBin)
	defer p.stop()
	p.waitWarm(60 * time.Second)
	idle, _ := p.memory()
	w.admin.SetLatency(latency)

	n := len(w.apps)
	before := len(w.admin.Calls())
	results := w.count(n, func(ev fakeslack.Event) bool {
		return ev.Kind == fakeslack.KindUpdate && (strings.Contains(ev.Message.Text, "Paused sync for") || strings.HasPrefix(ev.Message.Text, "Pause of"))
	})
	acks := w.ackWatch(n)
	ids, start := w.burst(alice, texts(n, func(i int) string { return "pause " + w.apps[i] + " bench burst B" }))
	evs := results.wait(tb, "pause results", 10*time.Minute)
	r := changeRun{idle: idle}
	var at dist
	for _, ev := range evs {
		at = append(at, ev.At.Sub(start))
		if !strings.Contains(ev.Message.Text, "Paused sync for") {
			r.failed++
			tb.Logf("failed: %s", ev.Message.Text)
		}
	}
	r.first, r.median, r.last = at.q(0), at.q(0.5), at.max()
	r.acks = ackLatencies(tb, acks.wait(tb, "acks", 30*time.Second), ids)
	calls := w.admin.Calls()[before:]
	r.start, r.calls = start, calls
	api := 0
	for _, c := range calls {
		if isAuth(c) {
			r.authCalls++
		} else {
			api++
		}
	}
	r.callsPerChange = float64(api) / float64(n)
	_, r.peak = p.memory()
	return r
}

// runChanges starts a bot on w (one app, running), lets it warm up with no
// latency, then at latency L pauses and resumes the app k times in turn,
// one at a time, and returns each change's run.
func runChanges(w *world, latency time.Duration, k int) []changeRun {
	tb := w.tb
	botBin, _ := binaries(tb)
	w.admin.SetLatency(0)
	p := w.startProc(botBin)
	defer p.stop()
	p.waitWarm(60 * time.Second)
	w.admin.SetLatency(latency)
	var runs []changeRun
	for i := range k {
		verb, done := "pause", "Paused sync for"
		if i%2 == 1 {
			verb, done = "resume", "Resumed sync for"
		}
		before := len(w.admin.Calls())
		res := w.count(1, func(ev fakeslack.Event) bool {
			return ev.Kind == fakeslack.KindUpdate && strings.Contains(ev.Message.Text, done)
		})
		_, start := w.burst(alice, []string{verb + " " + w.apps[0]})
		res.wait(tb, verb, time.Minute)
		r := changeRun{start: start, last: res.lastAt().Sub(start), calls: w.admin.Calls()[before:]}
		r.callsPerChange = float64(len(r.calls))
		runs = append(runs, r)
	}
	return runs
}

var requestName = regexp.MustCompile(`^(T-\d+): `)

// terminateRun is n terminate requests approved at once.
type terminateRun struct {
	last           time.Duration // first click → last card showing the outcome
	failed         int
	callsPerChange float64
	idle, peak     int64
}

// runTerminates asks for a terminate of every app of w (no latency), then
// sets latency L and approves them all back-to-back.
func runTerminates(w *world, latency time.Duration) terminateRun {
	tb := w.tb
	botBin, _ := binaries(tb)
	w.admin.SetLatency(0)
	p := w.startProc(botBin)
	defer p.stop()
	p.waitWarm(60 * time.Second)
	idle, _ := p.memory()

	n := len(w.apps)
	cards := w.count(n, func(ev fakeslack.Event) bool {
		return ev.Kind == fakeslack.KindPost && strings.Contains(ev.Message.Text, "asks to terminate")
	})
	w.burst(alice, texts(n, func(i int) string { return "terminate " + w.apps[i] + " bench: approved at once" }))
	posted := cards.wait(tb, "approval cards", 5*time.Minute)

	w.admin.SetLatency(latency)
	before := len(w.admin.Calls())
	results := w.count(n, func(ev fakeslack.Event) bool {
		t := ev.Message
		return ev.Kind == fakeslack.KindUpdate && t != nil && (strings.Contains(t.Text, "is terminated") || strings.Contains(t.Text, "failed"))
	})
	start := time.Now()
	for _, ev := range posted {
		m := requestName.FindStringSubmatch(ev.Message.Text)
		if m == nil {
			tb.Fatalf("card without a request id: %q", ev.Message.Text)
		}
		if _, err := w.slack.Click(fakeslack.Click{UserID: bob, ChannelID: channel, MessageTS: ev.Message.TS, ActionID: "approve", Value: m[1]}); err != nil {
			tb.Fatalf("click: %v", err)
		}
	}
	evs := results.wait(tb, "terminate results", 10*time.Minute)
	r := terminateRun{idle: idle, last: results.lastAt().Sub(start)}
	for _, ev := range evs {
		if !strings.Contains(ev.Message.Text, "is terminated") {
			r.failed++
			tb.Logf("failed: %s", ev.Message.Text)
		}
	}
	api := 0
	for _, c := range w.admin.Calls()[before:] {
		if !isAuth(c) {
			api++
		}
	}
	r.callsPerChange = float64(api) / float64(n)
	_, r.peak = p.memory()
	return r
}

// hourRun is an hour of simulated running with 30-minute tokens.
type hourRun struct {
	logins, refreshes int
	callsPerChange    []int // Admin API calls of each change, warm, auth included
}

// runHour runs the bot in-process (app.Run) against a fake Admin API that
// shares its fake clock: a subprocess could not share it. Each simulated
// minute it answers a status; every tenth minute it pauses or resumes
// instead, and the Admin API calls of that change are counted alone.
func runHour(tb testing.TB, minutes int) hourRun {
	epoch := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	clk := clock.NewFake(epoch)
	w := newWorld(tb, "h", 2, fakeadmin.Options{Clock: clk, TokenTTL: 30 * time.Minute})
	apps, err := config.ParseApps(w.syncApps())
	if err != nil {
		tb.Fatal(err)
	}
	cfg := config.Config{
		SlackAppToken: fakeslack.DefaultAppToken, SlackBotToken: fakeslack.DefaultBotToken, SlackAPIURL: w.slack.APIURL(), SlackCommand: "/sync",
		AtlasPublicKey: demo.PublicKey, AtlasPrivateKey: demo.PrivateKey, AdminAPIURL: w.admin.URL(), AtlasAPIURL: w.atlas.URL(),
		Apps: apps, ApprovalTTL: 15 * time.Minute, DataDir: tb.TempDir(), HTTPAddr: "127.0.0.1:0", LogFormat: "json",
		AdminConcurrency: *flagConcurrency, AdminTimeout: 15 * time.Second, ReminderInterval: 24 * time.Hour,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Clock: clk, SweepEvery: time.Minute})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("app.Run: %v", err)
		}
	}()
	if err := w.slack.WaitConnected(ctxFor(30*time.Second), 1); err != nil {
		tb.Fatal(err)
	}
	w.waitWarmCalls(30 * time.Second)

	var r hourRun
	paused := false
	for m := 1; m <= minutes; m++ {
		clk.Advance(time.Minute)
		if m%10 != 0 {
			ans := w.count(1, func(ev fakeslack.Event) bool { return isStatusAnswer(ev) })
			w.burst(alice, []string{"status " + w.apps[1]})
			ans.wait(tb, fmt.Sprintf("status at minute %d", m), 30*time.Second)
			continue
		}
		verb, done := "pause", "Paused sync for"
		if paused {
			verb, done = "resume", "Resumed sync for"
		}
		paused = !paused
		before := len(w.admin.Calls())
		res := w.count(1, func(ev fakeslack.Event) bool {
			return ev.Kind == fakeslack.KindUpdate && strings.Contains(ev.Message.Text, done)
		})
		w.burst(alice, []string{verb + " " + w.apps[0]})
		res.wait(tb, fmt.Sprintf("%s at minute %d", verb, m), 30*time.Second)
		r.callsPerChange = append(r.callsPerChange, len(w.admin.Calls())-before)
	}
	r.logins, r.refreshes = w.admin.Logins(), w.admin.Refreshes()
	return r
}

type idleRun struct {
	warm          time.Duration // start to warm-up done
	idle, settled mem
}

// runIdle starts a bot on w, waits for its warm-up and reads its memory,
// then leaves it alone for wait and reads it again.
func runIdle(w *world, wait time.Duration) idleRun {
	botBin, _ := binaries(w.tb)
	start := time.Now()
	p := w.startProc(botBin)
	defer p.stop()
	p.waitWarm(60 * time.Second)
	r := idleRun{warm: time.Since(start), idle: p.memoryDetail()}
	time.Sleep(wait) // nothing to wait for: the figure is what idling costs
	r.settled = p.memoryDetail()
	return r
}
