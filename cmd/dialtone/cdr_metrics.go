package main

import (
	"github.com/dialtone/dialtone/billing"
	"github.com/prometheus/client_golang/prometheus"
)

// cdrCommitMetrics count the CDR writer's group commits and the records
// they carried: their ratio is the batch size it reaches under load.
func cdrCommitMetrics(cdrs *billing.CDRStore) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "dialtone_cdr_commits_total", Help: "Transactions the CDR writer committed (one fsync each).",
		}, func() float64 { c, _ := cdrs.Commits(); return float64(c) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "dialtone_cdr_records_total", Help: "Leg records (opened and ended) those transactions carried.",
		}, func() float64 { _, r := cdrs.Commits(); return float64(r) }),
	}
}
