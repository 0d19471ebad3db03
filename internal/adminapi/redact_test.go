package adminapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/syncbot/syncbot/internal/adminapi"
)

// TestErrorTextRedactsBeforeItCuts: an Admin API error body that echoes the
// API key or the session's tokens, with the secret straddling the point
// where the text is cut, leaks no part of it, on any call (the bearer token
// of a GET included), raw or JSON.
func TestErrorTextRedactsBeforeItCuts(t *testing.T) {
	const (
		access  = "ACCESSTOKEN-5f1e-4b0c-9d7a-0123456789ab"
		refresh = "REFRESHTOKEN-77aa-4c1d-8e2f-ba9876543210"
		pub     = "PUBLICKEY-straddle"
		priv    = "PRIVATEKEY-1a2b-3c4d-5e6f-straddle"
	)
	for _, tc := range []struct {
		name, secret string
		json         bool
		cut          int // where the client cuts the text
	}{
		{"raw body, bearer token", access, false, 200},
		{"raw body, refresh token", refresh, false, 200},
		{"raw body, private key", priv, false, 200},
		{"JSON error, bearer token", access, true, 1000},
		{"JSON error, private key", priv, true, 1000},
		{"JSON error, public key", pub, true, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The secret starts 5 characters before the cut.
			text := strings.Repeat("x", tc.cut-5) + tc.secret + " and more"
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if strings.HasSuffix(r.URL.Path, "/login") {
					_ = json.NewEncoder(w).Encode(map[string]string{"access_token": access, "refresh_token": refresh})
					return
				}
				w.WriteHeader(http.StatusBadRequest)
				if tc.json {
					_ = json.NewEncoder(w).Encode(map[string]string{"error": text, "error_code": "Echo"})
					return
				}
				_, _ = w.Write([]byte(text))
			}))
			t.Cleanup(srv.Close)
			c, err := adminapi.New(adminapi.Options{BaseURL: srv.URL + "/api/admin/v3.0", PublicKey: pub, PrivateKey: priv})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Sync(t.Context(), adminapi.App{GroupID: groupID, AppID: appID})
			if err == nil {
				t.Fatal("Sync succeeded against an erroring server")
			}
			msg := err.Error()
			if leak := tc.secret[:5]; strings.Contains(msg, leak) {
				t.Errorf("error keeps %q, the start of the secret: …%s", leak, msg[max(0, len(msg)-80):])
			}
			if !strings.Contains(msg, "[re") {
				t.Errorf("error shows no redaction where the secret was: …%s", msg[max(0, len(msg)-80):])
			}
		})
	}
}
