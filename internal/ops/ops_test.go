package ops_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/syncbot/syncbot/internal/ops"
)

func TestReadyzFollowsChecks(t *testing.T) {
	var socketUp atomic.Bool
	srv := httptest.NewServer(ops.Handler(map[string]ops.Check{
		"slack socket": func(context.Context) error {
			if !socketUp.Load() {
				return errors.New("down")
			}
			return nil
		},
		"store": func(context.Context) error { return nil },
	}))
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "slack socket: not ready") || !strings.Contains(body, "store: ok") {
		t.Fatalf("readyz while down = %d %q", code, body)
	}
	socketUp.Store(true)
	if code, body := get("/readyz"); code != 200 {
		t.Fatalf("readyz while up = %d %q", code, body)
	}
}
