package app_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/syncbot/syncbot/internal/messages"
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
	e.click(alice, card.TS, messages.ActionApprove, "T-2")
	e.whisper(alice, 2)

	// A command is counted just after its reply is sent, so the test scrapes
	// until every check holds, as Prometheus would on its next scrape.
	scrape := func() (string, map[string]*dto.MetricFamily) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.LegacyValidation)
		families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
		if err != nil {
			t.Fatalf("parse /metrics: %v", err)
		}
		return string(body), families
	}
	var families map[string]*dto.MetricFamily
	var body string
	// value finds the first series of name carrying labels.
	value := func(name string, labels map[string]string) (float64, bool) {
	series:
		for _, m := range families[name].GetMetric() {
			for k, v := range labels {
				if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == k && l.GetValue() == v }) {
					continue series
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
	failures := func() []string {
		var f []string
		for _, c := range checks {
			if v, ok := value(c.name, c.labels); !ok || v < c.min {
				f = append(f, fmt.Sprintf("%s%v = %v (present %v), want ≥ %v", c.name, c.labels, v, ok, c.min))
			}
		}
		return f
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for body, families = scrape(); len(failures()) > 0; body, families = scrape() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("metrics never matched:\n%s", strings.Join(failures(), "\n"))
		}
	}
	for _, secret := range []string{appToken, botToken, pubKey, privKey} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics shows a secret")
		}
	}
	if v, _ := value("syncbot_pending_approvals", nil); v != 1 {
		t.Errorf("pending approvals = %v, want 1", v)
	}
}
