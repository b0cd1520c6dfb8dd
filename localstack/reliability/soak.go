package reliability

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// SoakMinute is one minute of the soak.
type SoakMinute struct {
	Requests, Unhealthy int
	// Latency quantiles of every route together, and the p99 per route.
	P50, P95, P99 time.Duration
	RouteP99      map[string]time.Duration
	// Instances' last runtime samples in the minute: goroutines and RSS.
	Goroutines map[string]int
	RSS        map[string]int64
	// Processes and their resident memory, from /proc.
	Processes int
	ProcRSS   int64
}

// Soak is a long steady load against the warm stack.
type Soak struct {
	Start    time.Time
	Duration time.Duration
	Minutes  []SoakMinute
	// Results counts the requests by status.
	Results string
	// Checks are the flatness checks by name: "" when it held.
	Checks map[string]string
	// Notes say what the checks compared.
	Notes []string
}

// Flatness bounds: a soak is flat when no minute's unhealthy share passes
// soakErrors, the last third's median p95 stays within soakLatency × the
// first third's (plus soakLatencySlack), and no instance that lived through
// half the soak gained more than leakGoroutines goroutines or soakRSS of
// resident memory.
const (
	soakErrors       = 0.01
	soakLatency      = 1.5
	soakLatencySlack = 50 * time.Millisecond
	soakRSS          = 16 << 20
)

func (h *harness) soak(ctx context.Context, d time.Duration) (Soak, error) {
	s := Soak{Start: time.Now(), Duration: d, Checks: map[string]string{}}
	loadDone := make(chan struct{})
	go func() {
		h.load().Run(ctx, d, h.rec)
		close(loadDone)
	}()
	type proc struct {
		n   int
		rss int64
	}
	var procs []proc
	for m := 0; m < int(d/time.Minute); m++ {
		if wait(ctx, time.Minute) != nil {
			break
		}
		ps := processes(h.s.Aggregator)
		var rss int64
		for _, r := range ps {
			rss += r
		}
		procs = append(procs, proc{len(ps), rss})
		fmt.Fprintf(h.out, "    minute %d: %d aggregator processes, %d MiB resident\n", m+1, len(ps), rss>>20)
	}
	<-loadDone
	wait(ctx, 20*time.Second) // the last runtime samples
	results := h.rec.Between(s.Start, s.Start.Add(d))
	s.Results = counts(results)
	samples, err := h.samples(ctx, s.Start, s.Start.Add(d+20*time.Second))
	if err != nil {
		return s, err
	}
	n := int(d / time.Minute)
	s.Minutes = make([]SoakMinute, n)
	lat := make([][]time.Duration, n)
	routeLat := make([]map[string][]time.Duration, n)
	for i := range s.Minutes {
		s.Minutes[i] = SoakMinute{RouteP99: map[string]time.Duration{}, Goroutines: map[string]int{}, RSS: map[string]int64{}}
		routeLat[i] = map[string][]time.Duration{}
		if i < len(procs) {
			s.Minutes[i].Processes, s.Minutes[i].ProcRSS = procs[i].n, procs[i].rss
		}
	}
	for _, r := range results {
		i := int(r.At.Sub(s.Start) / time.Minute)
		if i < 0 || i >= n {
			continue
		}
		m := &s.Minutes[i]
		m.Requests++
		if !healthy(r) {
			m.Unhealthy++
		}
		lat[i] = append(lat[i], r.Latency)
		routeLat[i][r.Route] = append(routeLat[i][r.Route], r.Latency)
	}
	for i := range s.Minutes {
		m := &s.Minutes[i]
		m.P50, m.P95, m.P99 = quantile(lat[i], 0.50), quantile(lat[i], 0.95), quantile(lat[i], 0.99)
		for route, l := range routeLat[i] {
			m.RouteP99[route] = quantile(l, 0.99)
		}
	}
	for _, smp := range samples {
		i := int(smp.Timestamp.Sub(s.Start) / time.Minute)
		if i < 0 || i >= n {
			continue
		}
		s.Minutes[i].Goroutines[smp.Instance] = smp.Goroutines
		s.Minutes[i].RSS[smp.Instance] = smp.RSS
	}
	s.judge()
	return s, nil
}

// judge runs the flatness checks.
func (s *Soak) judge() {
	var worst float64
	for _, m := range s.Minutes {
		if m.Requests > 0 {
			worst = max(worst, float64(m.Unhealthy)/float64(m.Requests))
		}
	}
	s.Notes = append(s.Notes, fmt.Sprintf("worst minute's unhealthy answers: %.2f %%", 100*worst))
	if worst > soakErrors {
		s.Checks["error rate"] = fmt.Sprintf("a minute had %.2f %% unhealthy answers, over %.0f %%", 100*worst, 100*soakErrors)
	} else {
		s.Checks["error rate"] = ""
	}
	third := len(s.Minutes) / 3
	if third == 0 {
		s.Checks["latency"] = "too short to compare thirds"
		return
	}
	med := func(ms []SoakMinute) time.Duration {
		var p95 []time.Duration
		for _, m := range ms {
			p95 = append(p95, m.P95)
		}
		return quantile(p95, 0.5)
	}
	first, last := med(s.Minutes[:third]), med(s.Minutes[len(s.Minutes)-third:])
	s.Notes = append(s.Notes, fmt.Sprintf("median per-minute p95: first third %s, last third %s", first.Round(time.Millisecond), last.Round(time.Millisecond)))
	s.Checks["latency"] = ""
	if float64(last) > soakLatency*float64(first)+float64(soakLatencySlack) {
		s.Checks["latency"] = fmt.Sprintf("p95 drifted from %s to %s", first.Round(time.Millisecond), last.Round(time.Millisecond))
	}
	// Instances that lived through at least half the soak.
	type life struct {
		firstG, lastG, minutes int
		firstR, lastR          int64
	}
	lives := map[string]*life{}
	for _, m := range s.Minutes {
		for id, g := range m.Goroutines {
			l := lives[id]
			if l == nil {
				l = &life{firstG: g, firstR: m.RSS[id]}
				lives[id] = l
			}
			l.lastG, l.lastR = g, m.RSS[id]
			l.minutes++
		}
	}
	s.Checks["goroutines"], s.Checks["memory"] = "", ""
	ids := make([]string, 0, len(lives))
	for id := range lives {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	long := 0
	for _, id := range ids {
		l := lives[id]
		if l.minutes < len(s.Minutes)/2 {
			continue
		}
		long++
		s.Notes = append(s.Notes, fmt.Sprintf("instance %s (%d minutes): %d → %d goroutines, RSS %d → %d MiB", id, l.minutes, l.firstG, l.lastG, l.firstR>>20, l.lastR>>20))
		if l.lastG-l.firstG > leakGoroutines {
			s.Checks["goroutines"] += fmt.Sprintf("instance %s gained %d goroutines; ", id, l.lastG-l.firstG)
		}
		if l.lastR-l.firstR > soakRSS {
			s.Checks["memory"] += fmt.Sprintf("instance %s grew %d MiB; ", id, (l.lastR-l.firstR)>>20)
		}
	}
	if long == 0 {
		s.Checks["goroutines"] = "no instance lived through half the soak: nothing compared"
	}
}

// quantile returns the q-quantile of d (0 for none).
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[int(q*float64(len(d)-1))]
}
