package fakeadmin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// The documented auth error bodies (adminapi.md 2, "Fake API checklist").
const (
	msgBadKey         = "failed to authenticate with MongoDB Cloud API: You are not authorized for this resource."
	msgExpired        = "invalid session: access token expired"
	msgWrongTokenType = "invalid refresh token: incorrect token type"
	msgNoRefresh      = "invalid session: failed to find refresh token"
	msgIssuer         = "invalid session: valid Issuer required"
	codeInvalidSess   = "InvalidSession"
)

// RevokeSessions makes every access token issued so far unknown: the next
// call with one gets 401 InvalidSession. Refresh tokens still work.
func (s *Server) RevokeSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.access)
}

// ExpireRefreshTokens makes every refresh token issued so far unknown, so
// the client has to log in again.
func (s *Server) ExpireRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
}

// handleLogin: POST /auth/providers/mongodb-cloud/login.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		APIKey   string `json:"apiKey"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "invalid request body", "BadRequest")
		return
	}
	if !hmac.Equal([]byte(in.Username), []byte(s.opts.PublicKey)) || !hmac.Equal([]byte(in.APIKey), []byte(s.opts.PrivateKey)) {
		// The status is an assumption (adminapi.md 2.1); the body is documented.
		writeError(w, http.StatusUnauthorized, msgBadKey, "")
		return
	}
	s.mu.Lock()
	access := s.issueLocked("access", s.opts.TokenTTL)
	refresh := s.issueLocked("refresh", refreshTTL)
	s.logins++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": access, "refresh_token": refresh, "user_id": s.userID, "device_id": "000000000000000000000000",
	})
}

// handleRefresh: POST /auth/session with the REFRESH token as Bearer.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	tok := bearer(r)
	s.mu.Lock()
	exp, ok := s.refresh[tok]
	now := s.clock.Now()
	if ok && now.Before(exp) {
		access := s.issueLocked("access", s.opts.TokenTTL)
		s.refreshes++
		s.mu.Unlock()
		writeJSON(w, http.StatusCreated, map[string]string{"access_token": access})
		return
	}
	s.mu.Unlock()
	if tokenType(tok) == "access" {
		writeError(w, http.StatusUnauthorized, msgWrongTokenType, "")
		return
	}
	writeError(w, http.StatusUnauthorized, msgNoRefresh, codeInvalidSess)
}

// handleLogout: DELETE /auth/session ends the refresh token's session.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	tok := bearer(r)
	s.mu.Lock()
	_, ok := s.refresh[tok]
	delete(s.refresh, tok)
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusUnauthorized, msgNoRefresh, codeInvalidSess)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// authorize checks the access token of a non-auth route, answering 401 and
// returning false if it is not valid now.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	tok := bearer(r)
	s.mu.Lock()
	exp, ok := s.access[tok]
	now := s.clock.Now()
	s.mu.Unlock()
	switch {
	case ok && now.Before(exp):
		return true
	case !ok && tokenType(tok) == "refresh":
		// Documented: no error_code, so a client must not refresh on it.
		writeError(w, http.StatusUnauthorized, msgIssuer, "")
	default:
		writeError(w, http.StatusUnauthorized, msgExpired, codeInvalidSess)
	}
	return false
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// issueLocked mints a JWT shaped like Atlas's (HS256, iat/exp in seconds),
// so clients exercise their own decoding of it.
func (s *Server) issueLocked(typ string, ttl time.Duration) string {
	now := s.clock.Now()
	exp := now.Add(ttl)
	header := b64(`{"alg":"HS256","typ":"JWT"}`)
	claims, _ := json.Marshal(map[string]any{
		"baas_device_id": "000000000000000000000000",
		"baas_domain_id": "5e7a1e0c5a1b2c3d4e5f6071",
		"exp":            exp.Unix(),
		"iat":            now.Unix(),
		"iss":            s.newIDLocked(), // also makes every token unique
		"sub":            s.userID,
		"typ":            typ,
	})
	unsigned := header + "." + b64(string(claims))
	mac := hmac.New(sha256.New, s.sigKey)
	mac.Write([]byte(unsigned))
	tok := unsigned + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	if typ == "access" {
		s.access[tok] = exp
	} else {
		s.refresh[tok] = exp
	}
	return tok
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// tokenType reads the typ claim of a token this fake minted ("" if none).
func tokenType(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Typ string `json:"typ"`
	}
	_ = json.Unmarshal(raw, &c)
	return c.Typ
}
