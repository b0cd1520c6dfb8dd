package config

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/statetable"
)

// BenchmarkConfigReads counts the state-table reads of a warm instance that
// serves a request every 10 ms for 100 refresh intervals of 5 s, with a
// configuration of a route table naming services, their policies and the
// limits: at steady state one small read (the revision item) per interval,
// whatever the number of documents; the documents are read once, at load.
//
//	go test -run '^$' -bench ConfigReads ./internal/config/
func BenchmarkConfigReads(b *testing.B) {
	for _, services := range []int{6, 100} {
		b.Run(fmt.Sprintf("services=%d", services), func(b *testing.B) {
			var rev, docs float64
			for b.Loop() {
				src := &live.Memory{}
				var routes []string
				for i := range services {
					svc := fmt.Sprintf("svc-%d", i)
					routes = append(routes, fmt.Sprintf(`{"id":"r%d","match":{"pathPrefix":"/s%d"},"service":"%s"}`, i, i, svc))
					src.Put(statetable.PolicyKey(svc), []byte(`{"retry":{"attempts":2}}`))
				}
				src.Put(statetable.RoutesKey, []byte(`{"version":1,"routes":[`+strings.Join(routes, ",")+`]}`))
				src.Put(statetable.LimitsKey, []byte(limitsDoc))
				c := &clock{now: time.Unix(1_800_000_000, 0)}
				w, err := live.NewWatch(live.Config{Source: src, Refresh: 5 * time.Second, Now: c.Now}, testBuilder().Build)
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Load(context.Background()); err != nil {
					b.Fatal(err)
				}
				loadDocs := src.Reads.Documents
				src.Reads.Revision = 0
				const intervals = 100
				for range intervals * 500 {
					w.Current(context.Background())
					c.advance(10 * time.Millisecond)
				}
				rev = float64(src.Reads.Revision) / intervals
				docs = float64(src.Reads.Documents-loadDocs) / intervals
			}
			b.ReportMetric(rev, "revision-reads/interval")
			b.ReportMetric(docs, "document-reads/interval")
		})
	}
}
