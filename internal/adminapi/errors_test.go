package adminapi_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/fakeadmin"
)

func TestErrorClasses(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name     string
		fault    fakeadmin.Fault
		want     adminapi.APIError
		wantText string
		is       error
	}{
		{
			name:     "403 with the API's JSON",
			fault:    fakeadmin.Fault{Status: 403, Body: `{"error":"user does not have permission","error_code":"Forbidden","link":"https://example/logs"}`},
			want:     adminapi.APIError{Op: "get drafts", Status: 403, Code: "Forbidden", Message: "user does not have permission"},
			wantText: "admin api: get drafts: 403 Forbidden: user does not have permission (code Forbidden)",
			is:       adminapi.ErrForbidden,
		},
		{
			name:     "404",
			fault:    fakeadmin.Fault{Status: 404, Body: `{"error":"app not found: 'x'","error_code":"AppNotFound"}`},
			want:     adminapi.APIError{Op: "get drafts", Status: 404, Code: "AppNotFound", Message: "app not found: 'x'"},
			wantText: "admin api: get drafts: 404 Not Found: app not found: 'x' (code AppNotFound)",
			is:       adminapi.ErrNotFound,
		},
		{
			name:     "400 without a code",
			fault:    fakeadmin.Fault{Status: 400, Body: `{"error":"bad request"}`},
			want:     adminapi.APIError{Op: "get drafts", Status: 400, Message: "bad request"},
			wantText: "admin api: get drafts: 400 Bad Request: bad request",
		},
		{
			name:     "401 that is not a session error",
			fault:    fakeadmin.Fault{Status: 401, Body: `{"error":"invalid session: valid Issuer required"}`},
			want:     adminapi.APIError{Op: "get drafts", Status: 401, Message: "invalid session: valid Issuer required"},
			wantText: "admin api: get drafts: 401 Unauthorized: invalid session: valid Issuer required",
			is:       adminapi.ErrUnauthorized,
		},
		{
			name:     "non-JSON body is trimmed and capped",
			fault:    fakeadmin.Fault{Status: 400, Body: "\n  <html><body>" + long + "</body></html>\n"},
			want:     adminapi.APIError{Op: "get drafts", Status: 400, Message: "<html><body>" + strings.Repeat("é", 188) + "…"},
			wantText: "admin api: get drafts: 400 Bad Request: <html><body>" + strings.Repeat("é", 188) + "…",
		},
		{
			name:     "empty body gives the status text",
			fault:    fakeadmin.Fault{Status: 403},
			want:     adminapi.APIError{Op: "get drafts", Status: 403, Message: "Forbidden"},
			wantText: "admin api: get drafts: 403 Forbidden",
			is:       adminapi.ErrForbidden,
		},
		{
			name:     "JSON of another shape is kept as text",
			fault:    fakeadmin.Fault{Status: 400, Body: `{"detail":"nope"}`},
			want:     adminapi.APIError{Op: "get drafts", Status: 400, Message: `{"detail":"nope"}`},
			wantText: `admin api: get drafts: 400 Bad Request: {"detail":"nope"}`,
		},
	}
	sentinels := []error{adminapi.ErrNotFound, adminapi.ErrUnauthorized, adminapi.ErrForbidden, adminapi.ErrSyncNotConfigured}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			f := tt.fault
			f.Method, f.PathContains = http.MethodGet, "/drafts"
			e.fake.Inject(f)
			_, err := e.client.OpenDraft(t.Context(), e.app)
			var apiErr *adminapi.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if diff := cmp.Diff(tt.want, *apiErr); diff != "" {
				t.Errorf("APIError (-want +got):\n%s", diff)
			}
			if err.Error() != tt.wantText {
				t.Errorf("text = %q\nwant   %q", err.Error(), tt.wantText)
			}
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == tt.is) {
					t.Errorf("errors.Is(err, %v) = %v", s, got)
				}
			}
		})
	}
}

func TestWrongKeyIsUnauthorized(t *testing.T) {
	e := setup(t, func(o *adminapi.Options) { o.PrivateKey = "not-the-key" })
	err := e.client.Login(t.Context())
	var apiErr *adminapi.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, adminapi.ErrUnauthorized) {
		t.Fatalf("err = %v, want a 401 *APIError", err)
	}
	want := adminapi.APIError{Op: "login", Status: 401,
		Message: "failed to authenticate with MongoDB Cloud API: You are not authorized for this resource."}
	if diff := cmp.Diff(want, *apiErr); diff != "" {
		t.Errorf("APIError (-want +got):\n%s", diff)
	}
	// A definite 401 is not retried, and a later call tries again.
	if got := count(e.fake.Calls(), http.MethodPost, "/login"); got != 1 {
		t.Errorf("login calls = %d, want 1", got)
	}
	if _, err := e.client.OpenDraft(t.Context(), e.app); !errors.Is(err, adminapi.ErrUnauthorized) {
		t.Errorf("OpenDraft err = %v, want ErrUnauthorized", err)
	}
	if got := count(e.fake.Calls(), http.MethodPost, "/login"); got != 2 {
		t.Errorf("login calls = %d, want 2", got)
	}
}

// countingBody counts the bytes the client reads from an answer.
type countingTransport struct {
	base http.RoundTripper
	read atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestErrorBodyIsReadThroughA1MiBLimit(t *testing.T) {
	tr := &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	e := setup(t, func(o *adminapi.Options) { o.HTTPClient = &http.Client{Transport: tr} })
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := tr.read.Load()
	// A JSON error cut by the limit is no longer JSON: it is reported as
	// (capped) text.
	e.fake.Inject(fakeadmin.Fault{Method: http.MethodGet, PathContains: "/drafts", Status: 400,
		Body: `{"error":"` + strings.Repeat("x", 4<<20) + `"}`})
	_, err := e.client.OpenDraft(t.Context(), e.app)
	var apiErr *adminapi.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if n := len([]rune(apiErr.Message)); n > 201 {
		t.Errorf("message has %d runes, want at most 201", n)
	}
	if !strings.HasPrefix(apiErr.Message, `{"error":"xxx`) {
		t.Errorf("message = %.40q…", apiErr.Message)
	}
	if read := tr.read.Load() - before; read > 1<<20 {
		t.Errorf("read %d bytes of the error body, want at most %d", read, 1<<20)
	}
}

// Distinctive values: if either shows up anywhere, it leaked.
const (
	secretPub  = "PUBKEY-7c1f-d1st1nct-aa01"
	secretPriv = "PRIVKEY-93ab-d1st1nct-ff02"
)

func TestSecretsNeverReachErrorsOrLogs(t *testing.T) {
	var text, js bytes.Buffer
	logger := slog.New(slog.NewMultiHandler(
		slog.NewTextHandler(&text, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewJSONHandler(&js, &slog.HandlerOptions{Level: slog.LevelDebug}),
	))
	var opts adminapi.Options
	e := setup(t, func(o *adminapi.Options) {
		o.PublicKey, o.PrivateKey, o.Logger = secretPub, secretPriv, logger
		opts = *o
	})

	var texts []string
	record := func(v any) {
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			texts = append(texts, fmt.Sprintf(f, v))
		}
	}
	// A failed login (the fake knows other keys)…
	err := e.client.Login(t.Context())
	if err == nil {
		t.Fatal("login with the wrong key succeeded")
	}
	record(err)
	// …one whose error body echoes the keys…
	e.fake.Inject(fakeadmin.Fault{Method: http.MethodPost, PathContains: "/login", Status: 401, Times: 1,
		Body: `{"error":"no key ` + secretPub + ` with secret ` + secretPriv + `"}`})
	_, err = e.client.Sync(t.Context(), e.app)
	if err == nil {
		t.Fatal("Sync with the wrong key succeeded")
	}
	record(err)
	if !strings.Contains(err.Error(), "no key [redacted] with secret [redacted]") {
		t.Errorf("err = %q, want the echoed keys redacted", err)
	}
	// …a login failing with retries (logged at Info)…
	e.fake.Inject(fakeadmin.Fault{Method: http.MethodPost, PathContains: "/login", Status: 503,
		Body: "echo " + secretPriv})
	err = drive(t, e.clk, 5*time.Second, func() error { return e.client.Login(t.Context()) })
	record(err)
	// …and the options and client themselves.
	record(opts)
	record(&opts)
	record(e.client)
	logger.Info("options", "opts", opts, "client", e.client)

	all := strings.Join(texts, "\n") + text.String() + js.String()
	for _, s := range []string{secretPub, secretPriv} {
		if strings.Contains(all, s) {
			t.Errorf("%q leaked:\n%s", s, all)
		}
	}
	if !strings.Contains(text.String(), "admin api: retrying") {
		t.Errorf("the retries were not logged; the check above proves nothing:\n%s", text.String())
	}
}

func TestTokensNeverReachLogs(t *testing.T) {
	var text bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&text, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := setup(t, func(o *adminapi.Options) { o.Logger = logger })
	if err := e.client.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.fake.RevokeSessions() // refresh
	if _, err := e.client.OpenDraft(t.Context(), e.app); err != nil {
		t.Fatal(err)
	}
	e.fake.RevokeSessions()
	e.fake.ExpireRefreshTokens() // refresh fails, then login
	if _, err := e.client.OpenDraft(t.Context(), e.app); err != nil {
		t.Fatal(err)
	}
	logs := text.String()
	for _, want := range []string{"logged in", "access token refreshed", "token refresh failed"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	// Every JWT starts with base64url('{"'): "eyJ".
	if strings.Contains(logs, "eyJ") || strings.Contains(fmt.Sprintf("%+v %#v", e.client, e.client), "eyJ") {
		t.Errorf("a token leaked:\n%s", logs)
	}
}
