package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"lumdesk/internal/licensing"
)

// licensingMetrics exports this node's loader check cache (internal/licensing,
// cache.go): how fast the loader check answers depends on its hit ratio, and
// whether it is live says whether checks read the database; and its
// execution counter's flushes (counter.go), the database time the batched
// counts cost.
type licensingMetrics struct {
	lic                             *licensing.Service
	hits, misses, entries, live     *prometheus.Desc
	flushes, flushedKeys, flushTime *prometheus.Desc
}

func newLicensingMetrics(lic *licensing.Service) prometheus.Collector {
	name := func(n string) string { return prometheus.BuildFQName("lumdesk", "licensing_check_cache", n) }
	flush := func(n string) string { return prometheus.BuildFQName("lumdesk", "licensing_executions", n) }
	return licensingMetrics{lic: lic,
		hits:        prometheus.NewDesc(name("hits_total"), "Loader checks answered from this node's cache.", nil, nil),
		misses:      prometheus.NewDesc(name("misses_total"), "Loader checks the live cache could not answer (read from the database).", nil, nil),
		entries:     prometheus.NewDesc(name("entries"), "Entries in this node's loader check cache.", nil, nil),
		live:        prometheus.NewDesc(name("live"), "1 while the cache's LISTEN connection is up and the cache is used; 0 while every check reads the database.", nil, nil),
		flushes:     prometheus.NewDesc(flush("flushes_total"), "Flushes of this node's batched execution counts that wrote something.", nil, nil),
		flushedKeys: prometheus.NewDesc(flush("flushed_keys_total"), "Key rows those flushes wrote, summed.", nil, nil),
		flushTime:   prometheus.NewDesc(flush("flush_seconds_total"), "Time those flushes took, summed.", nil, nil),
	}
}

func (m licensingMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.hits, m.misses, m.entries, m.live, m.flushes, m.flushedKeys, m.flushTime} {
		ch <- d
	}
}

// Collect reads the counters once, so one scrape's values agree.
func (m licensingMetrics) Collect(ch chan<- prometheus.Metric) {
	st := m.lic.CheckCacheStats()
	live := 0.0
	if st.Live {
		live = 1
	}
	ch <- prometheus.MustNewConstMetric(m.hits, prometheus.CounterValue, float64(st.Hits))
	ch <- prometheus.MustNewConstMetric(m.misses, prometheus.CounterValue, float64(st.Misses))
	ch <- prometheus.MustNewConstMetric(m.entries, prometheus.GaugeValue, float64(st.Entries))
	ch <- prometheus.MustNewConstMetric(m.live, prometheus.GaugeValue, live)
	fl := m.lic.CounterStats()
	ch <- prometheus.MustNewConstMetric(m.flushes, prometheus.CounterValue, float64(fl.Flushes))
	ch <- prometheus.MustNewConstMetric(m.flushedKeys, prometheus.CounterValue, float64(fl.Keys))
	ch <- prometheus.MustNewConstMetric(m.flushTime, prometheus.CounterValue, fl.Time.Seconds())
}
