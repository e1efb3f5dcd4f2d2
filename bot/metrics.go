package bot

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the bot's counters. Labels take only values from the command and route
// tables (or "unknown"), never user text, so their number stays small.
type metrics struct {
	updates   *prometheus.CounterVec // kind, command
	errors    *prometheus.CounterVec // command
	refusals  prometheus.Counter
	apiErrors prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "costbot_updates_handled_total",
			Help: "Telegram updates handled, by kind and command.",
		}, []string{"kind", "command"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "costbot_handler_errors_total",
			Help: "Handlers that failed or panicked, by command.",
		}, []string{"command"}),
		refusals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "costbot_access_refusals_total",
			Help: "Updates from chats not in TELEGRAM_CHAT_IDS.",
		}),
		apiErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "costbot_telegram_errors_total",
			Help: "Errors reported by the Telegram client, polling included.",
		}),
	}
}

func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.updates, m.errors, m.refusals, m.apiErrors} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// NewMetricsRegistry returns a registry with the process and Go runtime collectors;
// pass it as Deps.Metrics and to NewHTTPHandler.
func NewMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return reg
}

// NewHTTPHandler serves /healthz (200 "ok" when health returns nil, else 503 and a
// short reason) and /metrics from reg; more handlers may be mounted on it.
func NewHTTPHandler(health func(context.Context) error, reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := health(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			reason := Redact(err.Error())
			if len(reason) > 200 {
				reason = reason[:200]
			}
			w.Write([]byte("unhealthy: " + reason + "\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return mux
}
