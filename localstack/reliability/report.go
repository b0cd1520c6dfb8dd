package reliability

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Report is everything a run measured.
type Report struct {
	Options           Options
	Started, Finished time.Time
	Machine           string
	Rate              float64
	// Keys is how many API keys the load used.
	Keys int
	Rows []RowResult
	Soak *Soak
}

// machine describes this machine in one line.
func machine() string {
	var parts []string
	if out, err := exec.Command("uname", "-srm").Output(); err == nil {
		parts = append(parts, strings.TrimSpace(string(out)))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "model name"); ok {
				parts = append(parts, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":")))
				break
			}
		}
		f.Close()
	}
	parts = append(parts, fmt.Sprintf("%d logical CPUs (shared with other work)", runtime.NumCPU()))
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
				parts = append(parts, fmt.Sprintf("%d GiB memory", (kb+(1<<19))>>20))
			}
		}
	}
	parts = append(parts, runtime.Version())
	return strings.Join(parts, ", ")
}

// plotName is the soak plot's file, beside the report.
const plotName = "RELIABILITY-soak.svg"

// Write writes the report to o.Out (and the soak's plot beside it).
func (r Report) Write(o Options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Reliability\n\n")
	fmt.Fprintf(&b, "Written by `make reliability` (`%s`) on %s, %s → %s UTC, on %s, against %s. Do not edit it: run the command again. What the first runs found and what changed in the code for it: [docs/reliability.md](docs/reliability.md).\n\n",
		strings.Join(os.Args, " "), r.Started.UTC().Format("2006-01-02"), r.Started.UTC().Format("15:04"), r.Finished.UTC().Format("15:04"), r.Machine, o.Emulator)
	r.writeMatrix(&b)
	if r.Soak != nil {
		if err := r.writeSoak(&b, o); err != nil {
			return err
		}
	}
	if o.Simulation != "" {
		sim, err := os.ReadFile(o.Simulation)
		if err != nil {
			return fmt.Errorf("reliability: the simulations' section: %w", err)
		}
		b.WriteString("\n")
		b.Write(sim)
	}
	return os.WriteFile(o.Out, []byte(b.String()), 0o644)
}

func (r Report) writeMatrix(b *strings.Builder) {
	fmt.Fprintf(b, "## The fault matrix\n\n")
	fmt.Fprintf(b, "The load: %.0f requests a second at a fixed arrival rate (an open model: each request on its own goroutine, latency counted from when it was due), through API Gateway over HTTPS, as %d token subjects, %d API keys and %d client IPs (one of which, %s, sends every %dth request, over its per-IP limit), over the routes %s (weights %s). Each row: %s of healthy load, the fault for its window, then the load until the stack has answered as healthy for %s in a row (the recovery time is when that began, from the fault's end).\n\n",
		r.Rate, subjects, r.Keys, clientIPs, HotIP, HotEvery, strings.Join(RouteNames, ", "), weights(), warmFor, settled)
	fmt.Fprintf(b, "Every answer must be allowed by its row (JSON, within the route's deadline plus %s, never API Gateway's own 502 or 504, never no answer); after the row: no over-admission beyond the limit's fail mode, counted against the counters in the table; no cached answer that is corrupt or under another key; no aggregator instance that gained more than %d goroutines or doubled its heap.\n\n", slack, leakGoroutines)
	b.WriteString("| fault | window | answers (raw counts) | not allowed | over-admission | cache | leaks | recovery (bound) | held |\n|---|---:|---|---:|---|---|---|---:|---|\n")
	for _, rr := range r.Rows {
		rec := "not recovered"
		if rr.Recovered {
			rec = rr.Recovery.Round(time.Second).String()
		}
		held := "yes"
		if !rr.Held() {
			held = "**no**"
		}
		if rr.Err != nil {
			held = "**error**: " + rr.Err.Error()
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d | %s | %s | %s | %s (%s) | %s |\n", rr.Row.Fault, rr.Row.Window, counts(rr.Results), len(rr.Violations),
			ok(rr.Checks["over-admission"]), ok(rr.Checks["cache"]), ok(rr.Checks["leaks"]), rec, rr.Row.Recovery, held)
	}
	for _, rr := range r.Rows {
		fmt.Fprintf(b, "\n### %s\n\n%s. Allowed: %s.\n\n", rr.Row.ID, rr.Row.Fault, rr.Row.Why)
		by := map[string][]Result{}
		for _, res := range rr.Results {
			by[res.Route] = append(by[res.Route], res)
		}
		b.WriteString("| route | answers | p50 | p99 | max |\n|---|---|---:|---:|---:|\n")
		for _, route := range RouteNames {
			rs := by[route]
			var lat []time.Duration
			for _, x := range rs {
				lat = append(lat, x.Latency)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", route, counts(rs), msd(quantile(lat, 0.5)), msd(quantile(lat, 0.99)), msd(quantile(lat, 1)))
		}
		for name, v := range rr.Checks {
			if v != "" {
				fmt.Fprintf(b, "\n- %s: %s", name, v)
			}
		}
		for _, n := range rr.Notes {
			fmt.Fprintf(b, "\n- %s", n)
		}
		for i, v := range rr.Violations {
			if i == 5 {
				fmt.Fprintf(b, "\n- … and %d more not allowed", len(rr.Violations)-5)
				break
			}
			fmt.Fprintf(b, "\n- not allowed: %s (%s), due %s after the fault began: %s; body %q", v.Result.Route, tagOr(v.Result.Tag), v.Result.At.Sub(rr.FaultStart).Round(time.Millisecond), v.Why, v.Result.Body)
		}
		b.WriteString("\n")
	}
}

func (r Report) writeSoak(b *strings.Builder, o Options) error {
	s := r.Soak
	fmt.Fprintf(b, "\n## Soak\n\n%s of the same steady load (%.0f requests a second) against the warm stack: %s.\n\n", s.Duration, r.Rate, s.Results)
	f, err := os.Create(filepath.Join(filepath.Dir(o.Out), plotName))
	if err != nil {
		return err
	}
	err = Plot(f, fmt.Sprintf("Soak: %s at %.0f requests a second", s.Duration, r.Rate), len(s.Minutes), soakPanels(*s))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "![soak](%s)\n\n", plotName)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range s.Checks {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		fmt.Fprintf(b, "- %s: %s\n", name, ok(s.Checks[name]))
	}
	for _, n := range s.Notes {
		fmt.Fprintf(b, "- %s\n", n)
	}
	b.WriteString("\n| minute | requests | unhealthy | p50 | p95 | p99 | aggregator processes | their resident memory |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, m := range s.Minutes {
		fmt.Fprintf(b, "| %d | %d | %d | %s | %s | %s | %d | %d MiB |\n", i+1, m.Requests, m.Unhealthy, msd(m.P50), msd(m.P95), msd(m.P99), m.Processes, m.ProcRSS>>20)
	}
	return nil
}

func ok(v string) string {
	if v == "" {
		return "ok"
	}
	return "**" + v + "**"
}

func tagOr(t string) string {
	if t == "" {
		return "no tag"
	}
	return t
}

func msd(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func weights() string {
	var parts []string
	for _, r := range RouteNames {
		parts = append(parts, fmt.Sprintf("%s %d", r, loadWeights[r]))
	}
	return strings.Join(parts, ", ")
}
