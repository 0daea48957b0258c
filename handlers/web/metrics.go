package web

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
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

// methodLabels are the methods kept as label values; any other becomes
// "other" so clients cannot mint series (and label values are never
// Fiber's reused request buffers).
var methodLabels = map[string]string{
	"GET": "GET", "HEAD": "HEAD", "POST": "POST", "PUT": "PUT", "PATCH": "PATCH",
	"DELETE": "DELETE", "OPTIONS": "OPTIONS", "CONNECT": "CONNECT", "TRACE": "TRACE",
}

// Observe records one request. method and route may point into Fiber's
// buffers: the label values stored are constants or copies.
func (m *Metrics) Observe(method, route string, status int, d time.Duration) {
	label, ok := methodLabels[method]
	if !ok {
		label = "other"
	}
	if route == "" || route == "/" && status == fiber.StatusNotFound {
		route = "unmatched"
	}
	m.duration.WithLabelValues(label, strings.Clone(route), strconv.Itoa(status)).Observe(d.Seconds())
}

// Registry exposes the registry (for other areas' collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// HTTPHandler serves the metrics (for the METRICS_ADDR listener).
func (m *Metrics) HTTPHandler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// handler serves /metrics on the main listener: only with the Bearer token
// (METRICS_TOKEN); without a configured token it is not there at all.
func (m *Metrics) handler(token string) fiber.Handler {
	h := adaptor.HTTPHandler(m.HTTPHandler())
	return func(c *fiber.Ctx) error {
		if token == "" {
			return fiber.ErrNotFound
		}
		scheme, got, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			return fiber.NewError(fiber.StatusUnauthorized, "Send the metrics token as Authorization: Bearer <token>.")
		}
		return h(c)
	}
}
