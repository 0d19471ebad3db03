// Package fakeatlas is a fake Atlas Administration API v2 on a real
// loopback HTTP server, for tests and the playground: getCluster,
// updateCluster and getClusterAdvancedConfiguration, as strict as MongoDB's
// published spec (mongodb/openapi openapi/v2.json) for what syncbot sends.
//
// It enforces HTTP Digest (challenge, a nonce it issued, the response
// computed from the key), the versioned media type (406 otherwise), the
// PATCH body's fields and types (400 for an unknown or wrongly typed one),
// and Atlas's rules: only dedicated tiers (M10 and up) pause, a paused
// cluster accepts no change but a resume, and a pause or resume takes the
// cluster through UPDATING to IDLE over the injected clock. Faults (any
// status, for a number of requests), holds and latency are injectable.
//
// Setup methods panic on misuse (an unknown cluster): a bug in the test.
package fakeatlas

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/syncbot/syncbot/internal/clock"
)

// The media types the fake serves: the versions syncbot uses. Another
// valid-looking version is 406, as Atlas answers a version that does not
// exist for the resource.
const (
	mediaCluster     = "application/vnd.atlas.2024-10-23+json"
	mediaProcessArgs = "application/vnd.atlas.2024-08-05+json"
	realm            = "MMS Public API"
)

// Options configure a Server.
type Options struct {
	PublicKey, PrivateKey string
	Clock                 clock.Clock // default clock.Real{}
	// Transition is how long a pause or resume keeps the cluster UPDATING
	// (default 5 minutes of Clock time).
	Transition time.Duration
}

// Cluster is one cluster as the fake holds it.
type Cluster struct {
	GroupID, Name string
	InstanceSize  string // M10, M30, M0, FLEX, …
	Provider      string // AWS (default), TENANT (M0/M2/M5), FLEX, SERVERLESS
	Paused        bool
	// Updating keeps it UPDATING until Clock passes this time.
	Updating time.Time
	// OplogMinRetentionHours, if set, is in processArgs.
	OplogMinRetentionHours float64
}

// Call is one request that passed authentication (or 401: Status 401).
type Call struct {
	Method, Path string // Path in full, /api/atlas/v2/…
	Status       int
	Body         string
	At           time.Time // on the fake's clock
}

// Fault answers matching requests with Status (and errorCode Code)
// instead of the real answer, Times times (0: for ever).
type Fault struct {
	Method string // "" any
	Path   string // substring of the path; "" any
	Status int
	Code   string
	Times  int
	// After: the real handler runs first (the change takes effect), then
	// the fault is the answer: an outcome the client cannot know.
	After bool
}

// Server is the fake; safe for concurrent use.
type Server struct {
	opts Options
	srv  *httptest.Server

	mu       sync.Mutex
	clusters map[string]*Cluster // group/name
	nonces   map[string]bool
	calls    []Call
	faults   []*Fault
	latency  time.Duration
	hold     chan struct{}
	held     int
	// beforePatch sees each PATCH body first (SetBeforePatch).
	beforePatch func(body string)
	subs        map[int]func(Call)
	nextSub     int
}

// New starts a fake on 127.0.0.1; Close it when done.
func New(o Options) *Server {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Transition <= 0 {
		o.Transition = 5 * time.Minute
	}
	s := &Server{opts: o, clusters: map[string]*Cluster{}, nonces: map[string]bool{}, subs: map[int]func(Call){}}
	mux := http.NewServeMux()
	const c = "/api/atlas/v2/groups/{group}/clusters/{name}"
	mux.HandleFunc("GET "+c, s.handleGet)
	mux.HandleFunc("PATCH "+c, s.handlePatch)
	mux.HandleFunc("GET "+c+"/processArgs", s.handleProcessArgs)
	notAllowed := func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", r.Method+" is not supported on "+r.URL.Path+".")
	}
	mux.HandleFunc(c, notAllowed)
	mux.HandleFunc(c+"/processArgs", notAllowed)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// Routes the fake does not serve: as Atlas answers an unknown path.
		writeErr(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Cannot find resource "+r.URL.Path+".")
	})
	s.srv = httptest.NewServer(s.auth(mux))
	return s
}

// URL is the base URL (ATLAS_API_URL), without /api/atlas/v2.
func (s *Server) URL() string { return s.srv.URL }

// Close releases any hold and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
	s.mu.Unlock()
	s.srv.Close()
}

func key(group, name string) string { return group + "/" + name }

// AddCluster adds (or replaces) a cluster.
func (s *Server) AddCluster(c Cluster) {
	if c.Provider == "" {
		c.Provider = "AWS"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clusters[key(c.GroupID, c.Name)] = &c
}

// SetBeforePatch makes f see each authenticated PATCH body before it is
// handled (a test's look at the world as the PATCH goes out).
func (s *Server) SetBeforePatch(f func(body string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforePatch = f
}

// Subscribe calls fn with each call once it is answered (off the fake's
// lock); cancel stops it.
func (s *Server) Subscribe(fn func(Call)) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, id)
	}
}

func (s *Server) notify(c Call) {
	s.mu.Lock()
	subs := make([]func(Call), 0, len(s.subs))
	for _, f := range s.subs {
		subs = append(subs, f)
	}
	s.mu.Unlock()
	for _, f := range subs {
		f(c)
	}
}

// Cluster returns a copy of a cluster as it is now.
func (s *Server) Cluster(group, name string) Cluster {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clusters[key(group, name)]
	if !ok {
		panic("fakeatlas: no cluster " + key(group, name))
	}
	return *c
}

// Now is the fake's clock.
func (s *Server) Now() time.Time { return s.opts.Clock.Now() }

// SetUpdating makes a cluster UPDATING (for another reason) for d.
func (s *Server) SetUpdating(group, name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clusters[key(group, name)].Updating = s.opts.Clock.Now().Add(d)
}

// Calls returns every authenticated call so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Patches returns the bodies of the PATCHes that changed something (2xx).
func (s *Server) Patches() []string {
	var out []string
	for _, c := range s.Calls() {
		if c.Method == http.MethodPatch && c.Status/100 == 2 {
			out = append(out, c.Body)
		}
	}
	return out
}

// Inject adds a fault; the first matching one with hits left answers.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// SetLatency delays every answer by d of real time (playground).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Hold makes every request wait, unanswered, until release is called.
func (s *Server) Hold() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold == nil {
		s.hold = make(chan struct{})
	}
	ch := s.hold
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.hold == ch {
				close(ch)
				s.hold = nil
			}
			s.mu.Unlock()
		})
	}
}

// Held is how many requests wait on a Hold now.
func (s *Server) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

func (s *Server) wait(ctx context.Context) {
	s.mu.Lock()
	ch, lat := s.hold, s.latency
	if ch != nil {
		s.held++
	}
	s.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
		}
		s.mu.Lock()
		s.held--
		s.mu.Unlock()
	}
	if lat > 0 {
		t := time.NewTimer(lat)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

func writeErr(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": status, "errorCode": code, "detail": detail, "reason": http.StatusText(status), "parameters": []any{},
	})
}

// auth checks the digest response; a request without one gets the
// challenge with a fresh nonce.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := parseDigest(r.Header.Get("Authorization"))
		if !ok || !s.validDigest(r, p) {
			s.challenge(w, r, ok)
			return
		}
		s.wait(r.Context())
		next.ServeHTTP(w, r)
	})
}

func (s *Server) challenge(w http.ResponseWriter, r *http.Request, tried bool) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	nonce := hex.EncodeToString(b)
	s.mu.Lock()
	s.nonces[nonce] = true
	if tried {
		s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Status: http.StatusUnauthorized})
	}
	s.mu.Unlock()
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm=%q, domain="", nonce=%q, algorithm=MD5, qop="auth", stale=false`, realm, nonce))
	writeErr(w, http.StatusUnauthorized, "", "You are not authorized for this resource.")
}

func parseDigest(h string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(h, "Digest ")
	if !ok {
		return nil, false
	}
	p := map[string]string{}
	for _, part := range splitParams(rest) {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		p[strings.ToLower(k)] = strings.Trim(v, `"`)
	}
	return p, true
}

// splitParams splits on commas outside quotes.
func splitParams(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ',' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, cur.String())
}

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// validDigest: the user is the public key, the nonce one we issued, the
// uri this request's, and the response RFC 7616's MD5 with qop=auth.
func (s *Server) validDigest(r *http.Request, p map[string]string) bool {
	s.mu.Lock()
	known := s.nonces[p["nonce"]]
	s.mu.Unlock()
	if !known || p["username"] != s.opts.PublicKey || p["realm"] != realm || p["uri"] != r.URL.RequestURI() || p["qop"] != "auth" {
		return false
	}
	ha1 := md5hex(p["username"] + ":" + realm + ":" + s.opts.PrivateKey)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	return p["response"] == md5hex(ha1+":"+p["nonce"]+":"+p["nc"]+":"+p["cnonce"]+":auth:"+ha2)
}
