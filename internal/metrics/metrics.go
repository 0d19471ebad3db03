// Package metrics holds syncbot's Prometheus series. Each part of the bot
// reports through a hook (slackbot.OnAck, adminapi.OnCall, …) so that no
// other package imports the Prometheus client.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one process's registry and series.
type Metrics struct {
	reg           *prometheus.Registry
	commands      *prometheus.CounterVec
	ack           *prometheus.HistogramVec
	adminCalls    *prometheus.CounterVec
	adminDuration *prometheus.HistogramVec
	reconnects    prometheus.Counter
	storeErrors   *prometheus.CounterVec
}

// New registers every series. pending counts the approvals waiting now; it
// is called on each scrape.
func New(pending func(context.Context) (int, error)) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncbot_commands_total", Help: "Slash commands and button clicks handled, by verb and outcome.",
		}, []string{"verb", "outcome"}),
		ack: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "syncbot_envelope_ack_seconds", Help: "Time from reading a Socket Mode envelope to handing its ack to the socket.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .5, 1, 3},
		}, []string{"kind"}),
		adminCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncbot_admin_api_calls_total", Help: "Admin API HTTP attempts, by operation and status (0 = no answer).",
		}, []string{"op", "status"}),
		adminDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "syncbot_admin_api_call_seconds", Help: "Admin API HTTP attempt duration, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}, []string{"op"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "syncbot_socket_reconnects_total", Help: "Socket Mode reconnections after the first connection.",
		}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncbot_store_errors_total", Help: "Journal (store) calls that failed, by method.",
		}, []string{"method"}),
	}
	pendingGauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "syncbot_pending_approvals", Help: "Requests waiting for approval: terminates, trigger resumes without the missed events (-1 when the store does not answer).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := pending(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	m.reg.MustRegister(m.commands, m.ack, m.adminCalls, m.adminDuration, m.reconnects, m.storeErrors, pendingGauge,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Command counts one handled command or click.
func (m *Metrics) Command(verb, outcome string) { m.commands.WithLabelValues(verb, outcome).Inc() }

// Ack records how long an envelope waited for its ack.
func (m *Metrics) Ack(kind string, d time.Duration) { m.ack.WithLabelValues(kind).Observe(d.Seconds()) }

// AdminCall records one Admin API attempt.
func (m *Metrics) AdminCall(op string, status int, d time.Duration) {
	m.adminCalls.WithLabelValues(op, strconv.Itoa(status)).Inc()
	m.adminDuration.WithLabelValues(op).Observe(d.Seconds())
}

// Reconnect counts a Socket Mode reconnection.
func (m *Metrics) Reconnect() { m.reconnects.Inc() }

// StoreError counts a failed store call.
func (m *Metrics) StoreError(method string) { m.storeErrors.WithLabelValues(method).Inc() }
