package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syncbot/syncbot/internal/demo"
	"github.com/syncbot/syncbot/internal/fakeadmin"
	"github.com/syncbot/syncbot/internal/fakeatlas"
	"github.com/syncbot/syncbot/internal/fakeslack"
)

var (
	flagLatency     = flag.Duration("admin-latency", time.Second, "Admin API latency L added by the fake to every non-auth call")
	flagConcurrency = flag.Int("admin-concurrency", 16, "SYNC_ADMIN_CONCURRENCY given to the bot")
	flagBurst       = flag.Int("burst", 200, "slash commands per burst (ack latency, burst A)")
	flagPauseApps   = flag.Int("pause-apps", 200, "distinct apps paused in burst B")
	flagTerminates  = flag.Int("terminates", 100, "terminate requests approved at once")
	flagBotEnv      = flag.String("bot-env", "", "extra environment for the bot process, space separated (GOGC=50 GOMEMLIMIT=24MiB …)")
	flagIdleWait    = flag.Duration("idle-wait", 30*time.Second, "how long BenchmarkIdle leaves the bot alone before its settled figure")
	flagClusters    = flag.Int("clusters", 0, "Atlas clusters in SYNC_CLUSTERS (on a fake Atlas Administration API), besides the apps' own")
	flagProfileDir  = flag.String("profile-dir", "", "run bench/profbot (cmd/bot plus profiling) instead of cmd/bot and write each process's trace, CPU and heap profiles here")
)

// The demo world, under short names.
const (
	group   = demo.GroupID
	alice   = demo.Alice
	bob     = demo.Bob
	channel = demo.Channel
)

// binDir holds the binaries built once per test binary run.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds ./cmd/bot and the bare handler next to it, once. For
// benchmarks (-bench given) the bot is built as the Dockerfile builds it
// (static, trimmed, stripped), so its memory is the shipped binary's; for
// TestSmoke alone it is a plain go build, which shares the build cache with
// the other tests that run the binary and keeps go test ./... quick.
func binaries(tb testing.TB) (bot, bare string) {
	tb.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "syncbot-bench-")
		if buildErr != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go tool is needed to build the bot: %w", err)
			return
		}
		release := flag.Lookup("test.bench").Value.String() != ""
		builds := []struct{ out, pkg string }{
			{"syncbot", "github.com/syncbot/syncbot/cmd/bot"},
			{"barebot", "github.com/syncbot/syncbot/bench/barebot"},
		}
		if *flagProfileDir != "" {
			builds = append(builds, struct{ out, pkg string }{"profbot", "github.com/syncbot/syncbot/bench/profbot"})
		}
		for _, b := range builds {
			args := []string{"build", "-o", filepath.Join(binDir, b.out), b.pkg}
			if release {
				args = []string{"build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(binDir, b.out), b.pkg}
			}
			cmd := exec.Command(goTool, args...)
			if release {
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	if *flagProfileDir != "" {
		return filepath.Join(binDir, "profbot"), filepath.Join(binDir, "barebot")
	}
	return filepath.Join(binDir, "syncbot"), filepath.Join(binDir, "barebot")
}

// profiles is the environment that makes profbot write its profiles, named
// after the benchmark, into -profile-dir.
func profiles(tb testing.TB) []string {
	if *flagProfileDir == "" {
		return nil
	}
	profileSeq++
	base := filepath.Join(*flagProfileDir, fmt.Sprintf("%s-%d", strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name()), profileSeq))
	return []string{"BENCH_TRACE=" + base + ".trace", "BENCH_CPUPROFILE=" + base + ".cpu.pprof", "BENCH_HEAPPROFILE=" + base + ".heap.pprof", "BENCH_GOROUTINES=" + base + ".goroutines.txt"}
}

var profileSeq int

// world is the fake Slack and the fake Admin API with n apps, all on
// Flexible Sync and running. App i has alias prefix+NNN.
type world struct {
	tb    testing.TB
	slack *fakeslack.Server
	admin *fakeadmin.Server
	atlas *fakeatlas.Server // -clusters of them, M10, all running
	apps  []string          // aliases, in SYNC_APPS order
	ids   map[string]string
}

func newWorld(tb testing.TB, prefix string, n int, adminOpts fakeadmin.Options) *world {
	tb.Helper()
	fs := fakeslack.New(fakeslack.Options{PingInterval: time.Second})
	tb.Cleanup(fs.Close)
	for _, p := range demo.People() {
		fs.AddUser(fakeslack.User{ID: p.ID, Name: p.Name})
	}
	fa := fakeadmin.New(adminOpts)
	tb.Cleanup(fa.Close)
	w := &world{tb: tb, slack: fs, admin: fa, ids: map[string]string{}}
	w.atlas = fakeatlas.New(fakeatlas.Options{PublicKey: demo.PublicKey, PrivateKey: demo.PrivateKey})
	tb.Cleanup(w.atlas.Close)
	for i := range *flagClusters {
		w.atlas.AddCluster(fakeatlas.Cluster{GroupID: group, Name: fmt.Sprintf("Cluster%d", i), InstanceSize: "M10"})
	}
	for i := range n {
		alias := fmt.Sprintf("%s%03d", prefix, i)
		id := fmt.Sprintf("66%022x", i+1)
		fa.AddApp(fakeadmin.App{GroupID: group, ID: id, Name: alias, SyncKind: "flexible_sync", Sync: fakeadmin.FlexibleSync("enabled")})
		w.apps = append(w.apps, alias)
		w.ids[alias] = id
	}
	return w
}

// clusterEnv configures -clusters clusters in SYNC_CLUSTERS.
func (w *world) clusterEnv() []string {
	env := []string{"ATLAS_API_URL=" + w.atlas.URL()}
	var parts []string
	for i := range *flagClusters {
		parts = append(parts, fmt.Sprintf("cl%03d:%s/Cluster%d", i, group, i))
	}
	if len(parts) > 0 {
		env = append(env, "SYNC_CLUSTERS="+strings.Join(parts, ","))
	}
	return env
}

func (w *world) syncApps() string {
	parts := make([]string, len(w.apps))
	for i, a := range w.apps {
		parts[i] = a + ":" + group + "/" + w.ids[a]
	}
	return strings.Join(parts, ",")
}

// proc is a bot (or bare handler) process.
type proc struct {
	tb     testing.TB
	cmd    *exec.Cmd
	log    string
	done   chan error
	warmed chan struct{} // closed when the bot logs that its warm-up is done
}

// startProc runs path against w's fakes and waits for its socket.
func (w *world) startProc(path string, extraEnv ...string) *proc {
	tb := w.tb
	tb.Helper()
	if err := w.slack.WaitFor(ctxFor(10*time.Second), func() bool { return w.slack.Connections() == 0 }); err != nil {
		tb.Fatalf("a previous process is still connected: %v", err)
	}
	dir := tb.TempDir()
	logPath := filepath.Join(dir, "stderr.log")
	logf, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(path)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"SLACK_APP_TOKEN=" + fakeslack.DefaultAppToken,
		"SLACK_BOT_TOKEN=" + fakeslack.DefaultBotToken,
		"SLACK_API_URL=" + w.slack.APIURL(),
		"ATLAS_PUBLIC_API_KEY=" + demo.PublicKey,
		"ATLAS_PRIVATE_API_KEY=" + demo.PrivateKey,
		"ATLAS_ADMIN_API_URL=" + w.admin.URL(),
		"SYNC_APPS=" + w.syncApps(),
		"SYNC_DATA_DIR=" + filepath.Join(dir, "data"),
		"SYNC_HTTP_ADDR=127.0.0.1:0",
		"SYNC_ADMIN_CONCURRENCY=" + strconv.Itoa(*flagConcurrency),
	}, slices.Concat(w.clusterEnv(), profiles(tb), strings.Fields(*flagBotEnv), extraEnv)...)
	warmed := make(chan struct{})
	out := io.MultiWriter(logf, &lineWatch{want: []byte(warmLine), seen: warmed})
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &proc{tb: tb, cmd: cmd, log: logPath, done: make(chan error, 1), warmed: warmed}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	tb.Cleanup(func() { p.stop() })
	connected := make(chan error, 1)
	go func() {
		connected <- w.slack.WaitFor(ctxFor(30*time.Second), func() bool { return w.slack.Connections() == 1 })
	}()
	select {
	case err := <-connected:
		if err != nil {
			p.fail("the process did not connect: %v", err)
		}
	case err := <-p.done:
		p.done <- err
		p.fail("the process exited before connecting: %v", err)
	}
	return p
}

// fail stops the test with the process's last log lines.
func (p *proc) fail(format string, args ...any) {
	p.tb.Helper()
	b, _ := os.ReadFile(p.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	p.tb.Fatalf(format+"\nlast output:\n%s", append(args, b)...)
}

// stop sends SIGTERM and waits for the exit (idempotent).
func (p *proc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		p.tb.Errorf("pid %d did not stop within 30s of SIGTERM; killed", p.cmd.Process.Pid)
	}
}

// memory reads VmRSS and VmHWM (peak RSS) of the process, in bytes.
func (p *proc) memory() (rss, peak int64) {
	m := p.memoryDetail()
	return m.rss, m.peak
}

// mem is a process's memory from /proc/PID/status, in bytes. RSS is anon
// (heap, stacks, the runtime's own) plus file (the binary's pages that
// have been touched) plus shmem.
type mem struct {
	rss, peak, anon, file int64
}

func (p *proc) memoryDetail() mem {
	p.tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		p.tb.Fatalf("read /proc status: %v", err)
	}
	var m mem
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.rss = kb << 10
		case "VmHWM:":
			m.peak = kb << 10
		case "RssAnon:":
			m.anon = kb << 10
		case "RssFile:":
			m.file = kb << 10
		}
	}
	return m
}

func ctxFor(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	_ = cancel // the timeout releases it; these contexts are short-lived waits
	return ctx
}

// adminCalls counts the fake Admin API's answered calls that match.
func (w *world) adminCalls(match func(fakeadmin.Call) bool) int {
	n := 0
	for _, c := range w.admin.Calls() {
		if match(c) {
			n++
		}
	}
	return n
}

// waitAdmin blocks until cond holds, re-checking on each Admin API call.
func (w *world) waitAdmin(what string, d time.Duration, cond func() bool) {
	w.tb.Helper()
	changed := make(chan struct{}, 1)
	cancel := w.admin.Subscribe(func(fakeadmin.Call) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer cancel()
	deadline := time.After(d)
	for !cond() {
		select {
		case <-changed:
		case <-deadline:
			w.tb.Fatalf("waiting for %s: timed out after %v", what, d)
		}
	}
}

// warmLine is what the bot logs once its background warm-up (a login
// and one services lookup per app) is done and its garbage handed back.
const warmLine = "Admin API warm-up done"

// waitWarm waits for the bot to log that its warm-up is done.
func (p *proc) waitWarm(d time.Duration) {
	p.tb.Helper()
	select {
	case <-p.warmed:
	case err := <-p.done:
		p.done <- err
		p.fail("the process exited during its warm-up: %v", err)
	case <-time.After(d):
		p.fail("no %q within %v", warmLine, d)
	}
}

// lineWatch is a process's output sink that closes seen at the first
// line containing want. The exec package feeds it from one goroutine.
type lineWatch struct {
	want []byte
	seen chan struct{}
	line []byte // the unfinished last line
	done bool
}

func (l *lineWatch) Write(b []byte) (int, error) {
	if l.done {
		return len(b), nil
	}
	l.line = append(l.line, b...)
	for {
		i := bytes.IndexByte(l.line, '\n')
		if i < 0 {
			return len(b), nil
		}
		if bytes.Contains(l.line[:i], l.want) {
			l.done, l.line = true, nil
			close(l.seen)
			return len(b), nil
		}
		l.line = l.line[i+1:]
	}
}

// waitWarmCalls waits for the warm-up of a bot running in this process,
// whose log is not at hand: a login and one services lookup per app.
func (w *world) waitWarmCalls(d time.Duration) {
	w.tb.Helper()
	w.waitAdmin("the warm-up (login and one services GET per app)", d, func() bool {
		return w.admin.Logins() >= 1 && w.adminCalls(isServices) >= len(w.apps)
	})
}

func isServices(c fakeadmin.Call) bool {
	return c.Method == "GET" && strings.HasSuffix(c.Path, "/services") && c.Status == 200
}

func isAuth(c fakeadmin.Call) bool { return strings.HasPrefix(c.Path, "/auth/") }

// counter counts fake Slack events that match, from its creation on, and
// keeps the time of the last one. It is fed by a subscription, so the
// callers' waiting costs the fake nothing.
type counter struct {
	mu     sync.Mutex
	want   int
	n      int
	first  time.Time
	last   time.Time
	all    []fakeslack.Event
	done   chan struct{}
	cancel func()
}

func (w *world) count(want int, match func(fakeslack.Event) bool) *counter {
	c := &counter{want: want, done: make(chan struct{})}
	c.cancel = w.slack.Subscribe(func(ev fakeslack.Event) {
		if !match(ev) {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.n++
		if c.n == 1 {
			c.first = ev.At
		}
		c.last = ev.At
		c.all = append(c.all, ev)
		if c.n == c.want {
			close(c.done)
		}
	})
	w.tb.Cleanup(c.cancel)
	return c
}

// wait returns the matched events once want of them have arrived.
func (c *counter) wait(tb testing.TB, what string, d time.Duration) []fakeslack.Event {
	tb.Helper()
	select {
	case <-c.done:
	case <-time.After(d):
		c.mu.Lock()
		n := c.n
		c.mu.Unlock()
		tb.Fatalf("waiting for %s: %d of %d after %v", what, n, c.want, d)
	}
	c.cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.all)
}

func (c *counter) lastAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// burst writes one slash command per text back-to-back from one goroutine,
// as Slack would deliver a crowd typing at once, and returns the envelope
// ids and the moment the first write began.
func (w *world) burst(user string, texts []string) ([]string, time.Time) {
	w.tb.Helper()
	ids := make([]string, len(texts))
	start := time.Now()
	for i, t := range texts {
		id, err := w.slack.SlashCommand(fakeslack.SlashCommand{UserID: user, ChannelID: channel, ChannelName: "ops", Text: t})
		if err != nil {
			w.tb.Fatalf("write command %d: %v", i, err)
		}
		ids[i] = id
	}
	return ids, start
}

// ackWatch records the latency of every ack for a set of envelopes.
func (w *world) ackWatch(n int) *counter {
	return w.count(n, func(ev fakeslack.Event) bool { return ev.Kind == fakeslack.KindAck && ev.Ack.Latency > 0 })
}

func ackLatencies(tb testing.TB, evs []fakeslack.Event, ids []string) []time.Duration {
	tb.Helper()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var out []time.Duration
	for _, ev := range evs {
		if want[ev.Ack.EnvelopeID] {
			out = append(out, ev.Ack.Latency)
			if ev.Ack.Payload != nil {
				tb.Errorf("envelope %s acked with a payload (busy?): %s", ev.Ack.EnvelopeID, ev.Ack.Payload)
			}
		}
	}
	if len(out) != len(ids) {
		tb.Fatalf("%d acks for %d envelopes", len(out), len(ids))
	}
	return out
}

// dist is a set of durations.
type dist []time.Duration

// q is the nearest-rank quantile (q(0.99) of 200 values is the 198th).
func (d dist) q(p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func (d dist) max() time.Duration { return d.q(1) }

// median is the middle value, or the mean of the middle two.
func (d dist) median() time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64  { return float64(d) / float64(time.Millisecond) }
func sec(d time.Duration) float64 { return d.Seconds() }
func mb(b int64) float64          { return float64(b) / (1 << 20) }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func texts(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

var errFailed = errors.New("failed")

// cpuMeter measures how much CPU other processes on the machine used
// while a benchmark ran: on a shared 2-core machine that is the main
// source of noise in millisecond figures, so it is reported next to them.
type cpuMeter struct {
	at         time.Time
	busy, mine float64 // seconds
}

func startCPU() cpuMeter {
	busy, mine := cpuTimes()
	return cpuMeter{at: time.Now(), busy: busy, mine: mine}
}

// otherCores is the average number of cores busy with processes other
// than this test binary and the bots it ran (reaped ones count as its own).
func (m cpuMeter) otherCores() float64 {
	busy, mine := cpuTimes()
	wall := time.Since(m.at).Seconds()
	if wall <= 0 {
		return 0
	}
	return max(0, (busy-m.busy)-(mine-m.mine)) / wall
}

// cpuTimes reads the machine's busy CPU time and this process's own plus
// its reaped children's, in seconds (USER_HZ = 100 on Linux).
func cpuTimes() (busy, mine float64) {
	const hz = 100
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]) // cpu user nice system idle iowait irq softirq steal …
		for i, v := range f[1:] {
			if i == 3 || i == 4 { // idle, iowait
				continue
			}
			if i >= 8 { // guest time is already in user
				break
			}
			n, _ := strconv.ParseFloat(v, 64)
			busy += n / hz
		}
	}
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from state (3rd) on
		for _, i := range []int{11, 12, 13, 14} {                // utime stime cutime cstime
			n, _ := strconv.ParseFloat(f[i], 64)
			mine += n / hz
		}
	}
	return busy, mine
}
