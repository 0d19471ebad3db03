package adminapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// secret is a key or token. It prints as [redacted] through fmt and slog,
// so one passed by mistake to a log call or a %v does not leak; the value
// is read only by an explicit string(s).
type secret string

func (secret) String() string             { return "[redacted]" }
func (secret) GoString() string           { return "[redacted]" }
func (secret) LogValue() slog.Value       { return slog.StringValue("[redacted]") }
func (secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, "[redacted]") }

// Token lifetimes (adminapi.md 2.2, DESIGN "Admin API").
const (
	defaultTokenLifetime = 30 * time.Minute // when the JWT cannot be read
	refreshEarly         = time.Minute      // renew this long before expiry
)

// session holds the access and refresh tokens, renewing them on demand.
// Every renewal goes through one flight, so a crowd of callers meeting an
// expired token causes one refresh, and each caller waits on its own ctx.
type session struct {
	c               *Client
	public, private secret

	mu        sync.Mutex
	access    secret
	refresh   secret
	expires   time.Time     // receipt time + token lifetime, on the client's clock
	early     time.Duration // how long before expires the token stops being used
	mustLogin bool          // the refresh token was tried and refused: log in

	flights flights[secret]
}

// secrets lists every value an error text must not carry: the API key,
// the tokens held now, the bearer the call sent, and the call's own extra
// values (a refresh may be replacing the token it sent).
func (s *session) secrets(bearer secret, extra []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{string(s.public), string(s.private), string(s.access), string(s.refresh), string(bearer)}, extra...)
}

// validLocked reports whether the access token may be used now.
func (s *session) validLocked() bool {
	return s.access != "" && s.c.clock.Now().Before(s.expires.Add(-s.early))
}

// token returns an access token that is not about to expire, renewing it
// (refresh, else login) if needed.
func (s *session) token(ctx context.Context) (secret, error) {
	s.mu.Lock()
	if s.validLocked() {
		t := s.access
		s.mu.Unlock()
		return t, nil
	}
	s.mu.Unlock()
	return s.flights.do(ctx, "session", "log in", s.renew)
}

// invalidate drops the access token the server just refused, unless it has
// been replaced meanwhile (another caller already renewed it). With
// login set, the next renewal skips the refresh token.
func (s *session) invalidate(refused secret, login bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != refused && s.access != "" {
		return
	}
	s.access = ""
	if login {
		s.mustLogin = true
	}
}

// renew runs in the session flight: refresh if a refresh token is held,
// and log in if there is none or it fails.
func (s *session) renew(ctx context.Context) (secret, error) {
	s.mu.Lock()
	if s.validLocked() {
		// Renewed by the flight that just ended, after our caller looked.
		t := s.access
		s.mu.Unlock()
		return t, nil
	}
	refresh, mustLogin := s.refresh, s.mustLogin
	s.mu.Unlock()

	if refresh != "" && !mustLogin {
		tok, err := s.doRefresh(ctx, refresh)
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return "", err
		}
		s.c.log.LogAttrs(ctx, slog.LevelInfo, "admin api: token refresh failed; logging in again",
			slog.String("error", err.Error()))
	}
	return s.doLogin(ctx)
}

// doLogin exchanges the API key for a new session (adminapi.md 2.1).
func (s *session) doLogin(ctx context.Context) (secret, error) {
	payload, err := json.Marshal(map[string]string{"username": string(s.public), "apiKey": string(s.private)})
	if err != nil {
		return "", fmt.Errorf("admin api: login: encode: %w", err)
	}
	k := call{
		op: "login", method: http.MethodPost, path: "/auth/providers/mongodb-cloud/login",
		body: payload, idempotent: true,
	}
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := s.post(ctx, k, "", &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("admin api: login: the answer carries no access token")
	}
	lifetime := s.store(secret(out.AccessToken), secret(out.RefreshToken), true)
	s.c.log.LogAttrs(ctx, slog.LevelInfo, "admin api: logged in", slog.Duration("token_lifetime", lifetime))
	return secret(out.AccessToken), nil
}

// doRefresh gets a new access token for the refresh token (adminapi.md
// 2.3): Bearer is the REFRESH token, and only an access token comes back.
func (s *session) doRefresh(ctx context.Context, refresh secret) (secret, error) {
	s.mu.Lock()
	old := s.access
	s.mu.Unlock()
	k := call{
		op: "refresh session", method: http.MethodPost, path: "/auth/session",
		idempotent: true, redact: []string{string(refresh), string(old)},
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := s.post(ctx, k, refresh, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("admin api: refresh session: the answer carries no access token")
	}
	lifetime := s.store(secret(out.AccessToken), refresh, false)
	s.c.log.LogAttrs(ctx, slog.LevelDebug, "admin api: access token refreshed", slog.Duration("token_lifetime", lifetime))
	return secret(out.AccessToken), nil
}

// post makes an auth call (retried like a GET: it only mints a session)
// and decodes its answer. Its body is never logged.
func (s *session) post(ctx context.Context, k call, bearer secret, out any) error {
	req, err := s.c.request(ctx, k)
	if err != nil {
		return err
	}
	var body []byte
	err = s.c.retrying(ctx, k, func() error {
		var err error
		body, err = s.c.send(ctx, k, req, bearer)
		return err
	})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		// The decoder's message names a position or a type, never a value.
		return fmt.Errorf("admin api: %s: decode the answer: %w", k.op, err)
	}
	return nil
}

// store records a new access token (and refresh token) and returns its
// lifetime. The expiry counts from receipt on our clock, so a server clock
// that disagrees with ours does not matter; only exp - iat is trusted.
func (s *session) store(access, refresh secret, loggedIn bool) time.Duration {
	lifetime := tokenLifetime(string(access))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = access
	s.refresh = refresh
	s.expires = s.c.clock.Now().Add(lifetime)
	s.early = min(refreshEarly, lifetime/2)
	if loggedIn {
		s.mustLogin = false
	}
	return lifetime
}

// tokenLifetime reads exp - iat from a JWT's payload without verifying it
// (we only need to know when to renew; the server does the verifying). An
// unreadable token gets the documented 30 minutes.
func tokenLifetime(jwt string) time.Duration {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return defaultTokenLifetime
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return defaultTokenLifetime
	}
	var claims struct {
		IAT json.Number `json:"iat"`
		EXP json.Number `json:"exp"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		return defaultTokenLifetime
	}
	iat, err1 := claims.IAT.Float64()
	exp, err2 := claims.EXP.Float64()
	if err1 != nil || err2 != nil || exp <= iat {
		return defaultTokenLifetime
	}
	return time.Duration((exp - iat) * float64(time.Second))
}

// Login makes sure the client holds a usable session, logging in if it
// does not. Calling it at start (in the background) saves the first real
// call a round trip and surfaces a bad key early.
func (c *Client) Login(ctx context.Context) error {
	_, err := c.session.token(ctx)
	return err
}
