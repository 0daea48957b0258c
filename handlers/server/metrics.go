package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"lumdesk/internal/licensing"
)

// checkCacheMetrics exports this node's loader check cache (internal/licensing,
// cache.go): how fast the loader check answers depends on its hit ratio, and
// whether it is live says whether checks read the database.
type checkCacheMetrics struct {
	lic                         *licensing.Service
	hits, misses, entries, live *prometheus.Desc
}

func newCheckCacheMetrics(lic *licensing.Service) prometheus.Collector {
	name := func(n string) string { return prometheus.BuildFQName("lumdesk", "licensing_check_cache", n) }
	return checkCacheMetrics{lic: lic,
		hits:    prometheus.NewDesc(name("hits_total"), "Loader checks answered from this node's cache.", nil, nil),
		misses:  prometheus.NewDesc(name("misses_total"), "Loader checks the live cache could not answer (read from the database).", nil, nil),
		entries: prometheus.NewDesc(name("entries"), "Entries in this node's loader check cache.", nil, nil),
		live:    prometheus.NewDesc(name("live"), "1 while the cache's LISTEN connection is up and the cache is used; 0 while every check reads the database.", nil, nil),
	}
}

func (m checkCacheMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.hits
	ch <- m.misses
	ch <- m.entries
	ch <- m.live
}

// Collect reads the counters once, so one scrape's values agree.
func (m checkCacheMetrics) Collect(ch chan<- prometheus.Metric) {
	st := m.lic.CheckCacheStats()
	live := 0.0
	if st.Live {
		live = 1
	}
	ch <- prometheus.MustNewConstMetric(m.hits, prometheus.CounterValue, float64(st.Hits))
	ch <- prometheus.MustNewConstMetric(m.misses, prometheus.CounterValue, float64(st.Misses))
	ch <- prometheus.MustNewConstMetric(m.entries, prometheus.GaugeValue, float64(st.Entries))
	ch <- prometheus.MustNewConstMetric(m.live, prometheus.GaugeValue, live)
}
