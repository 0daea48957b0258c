package web

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// Metrics are the Prometheus collectors of one app (a registry per app keeps tests independent).
type Metrics struct {
	reg      *prometheus.Registry
	duration *prometheus.HistogramVec
}

// NewMetrics makes the registry with Go/process collectors and request durations by route.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "lumdesk_http_request_duration_seconds",
		Help:    "HTTP request durations by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"method", "route", "status"})
	m.reg.MustRegister(m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe records one request.
func (m *Metrics) Observe(method, route string, status int, d time.Duration) {
	if route == "" || route == "/" && status == fiber.StatusNotFound {
		route = "unmatched"
	}
	m.duration.WithLabelValues(method, route, strconv.Itoa(status)).Observe(d.Seconds())
}

// Registry exposes the registry (for other areas' collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
