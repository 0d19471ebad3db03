package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/syncbot/syncbot/internal/commands"
)

// TestMetricsAfterCommands scrapes /metrics after real commands and parses
// it as Prometheus does.
func TestMetricsAfterCommands(t *testing.T) {
	e := newEnv(t)
	base := "http://" + <-e.http
	e.command(alice, "pause prod")
	e.channelMessage("Paused")
	e.command(alice, "bogus")
	e.whisper(alice, 1)
	card := e.requestTerminate("legacy")
	e.click(alice, card.TS, commands.ActionApprove, "T-2")
	e.whisper(alice, 2)

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{appToken, botToken, pubKey, privKey} {
		if strings.Contains(string(body), secret) {
			t.Errorf("/metrics shows a secret")
		}
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		f := families[name]
		if f == nil {
			return 0, false
		}
	next:
		for _, m := range f.GetMetric() {
			for k, v := range labels {
				found := false
				for _, l := range m.GetLabel() {
					if l.GetName() == k && l.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue(), true
			case m.Gauge != nil:
				return m.GetGauge().GetValue(), true
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount()), true
			}
		}
		return 0, false
	}
	checks := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"syncbot_commands_total", map[string]string{"verb": "pause", "outcome": "succeeded"}, 1},
		{"syncbot_commands_total", map[string]string{"verb": "unknown", "outcome": "usage_error"}, 1},
		{"syncbot_commands_total", map[string]string{"verb": "terminate", "outcome": "requested"}, 1},
		{"syncbot_commands_total", map[string]string{"verb": "approve", "outcome": "refused"}, 1},
		{"syncbot_envelope_ack_seconds", map[string]string{"kind": "slash_commands"}, 3},
		{"syncbot_envelope_ack_seconds", map[string]string{"kind": "interactive"}, 1},
		{"syncbot_admin_api_calls_total", map[string]string{"status": "204"}, 1},
		{"syncbot_admin_api_call_seconds", nil, 1},
		{"syncbot_pending_approvals", nil, 1},
		{"syncbot_socket_reconnects_total", nil, 0},
		{"syncbot_store_errors_total", map[string]string{"method": "Transition"}, 0},
	}
	for _, c := range checks {
		v, ok := value(c.name, c.labels)
		if !ok || v < c.min {
			t.Errorf("%s%v = %v (present %v), want ≥ %v", c.name, c.labels, v, ok, c.min)
		}
	}
	if v, _ := value("syncbot_pending_approvals", nil); v != 1 {
		t.Errorf("pending approvals = %v, want 1", v)
	}
}
