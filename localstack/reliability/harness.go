package reliability

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// harness is the stack with its load and its records.
type harness struct {
	s   *Stack
	o   Options
	out io.Writer
	ids *Identities
	rec *Recorder
	// coldAt is when coldStart last changed the function's configuration.
	coldAt time.Time
	// rotated is the serial of the gateway certificate a row re-issued.
	rotated string
}

// loadWeights is the route mix: mostly single and composite requests, the
// cached and limited routes, gRPC, a few fan-outs that reach the function's
// deadline when the ledger service hangs, and calls over mutual TLS.
var loadWeights = map[string]int{"users": 4, "dashboard": 3, "products": 3, "search": 2, "payments": 2, "ledger": 1, "vault": 1}

// subjects and client IPs the load speaks as.
const subjects, clientIPs = 8, 32

func newHarness(s *Stack, o Options, out io.Writer) (*harness, error) {
	tokens, err := s.Tokens(subjects, "k1")
	if err != nil {
		return nil, err
	}
	var ips []string
	for i := range clientIPs {
		ips = append(ips, fmt.Sprintf("203.0.113.%d", 10+i))
	}
	return &harness{s: s, o: o, out: out, ids: NewIdentities(tokens, s.APIKeys, ips), rec: &Recorder{}}, nil
}

func (h *harness) load() Load {
	return Load{Client: h.s.Client, BaseURL: h.s.URL, Rate: h.o.Rate, Next: NewMix(loadWeights, h.ids, true).Next}
}

// smoke sends the load to the healthy stack and prints what came back.
func (h *harness) smoke(ctx context.Context) error {
	start := time.Now()
	h.load().Run(ctx, h.o.Smoke, h.rec)
	results := h.rec.Since(start)
	fmt.Fprintln(h.out, summarize(results))
	for _, r := range results {
		if !slices.Contains(Routes[r.Route], r.Status) {
			fmt.Fprintf(h.out, "  %s %s %d %s %q\n", r.At.Format(time.TimeOnly), r.Route, r.Status, r.Err, r.Body)
		}
	}
	return nil
}

// summarize counts results by route and status.
func summarize(results []Result) string {
	by := map[string]map[string]int{}
	for _, r := range results {
		if by[r.Route] == nil {
			by[r.Route] = map[string]int{}
		}
		by[r.Route][statusName(r)]++
	}
	var b strings.Builder
	for _, route := range slices.Sorted(maps.Keys(by)) {
		fmt.Fprintf(&b, "%s:", route)
		keys := slices.Collect(maps.Keys(by[route]))
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s×%d", k, by[route][k])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// statusName is the status, or "no answer" for none.
func statusName(r Result) string {
	if r.Status == 0 {
		return "no answer"
	}
	return fmt.Sprint(r.Status)
}

func (h *harness) run(ctx context.Context) error {
	rep := Report{Options: h.o, Started: time.Now(), Machine: machine(), Rate: h.o.Rate, Keys: len(h.s.APIKeys)}
	// Warm the stack: instances, caches, authorizer decisions.
	fmt.Fprintln(h.out, "reliability: warming up")
	h.load().Run(ctx, 20*time.Second, &Recorder{})
	for _, row := range Matrix {
		if len(h.o.Rows) > 0 && !slices.Contains(h.o.Rows, row.ID) {
			continue
		}
		rr := h.runRow(ctx, row)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		verdict := "held"
		if !rr.Held() {
			verdict = "DID NOT HOLD"
		}
		fmt.Fprintf(h.out, "    %d requests: %s; %d violations; recovery %s (%v) of %s; %s\n", len(rr.Results), counts(rr.Results),
			len(rr.Violations), rr.Recovery.Round(time.Second), rr.Recovered, rr.Row.Recovery, verdict)
		for name, v := range rr.Checks {
			if v != "" {
				fmt.Fprintf(h.out, "    %s: %s\n", name, v)
			}
		}
		for i, v := range rr.Violations {
			if i == 3 {
				break
			}
			fmt.Fprintf(h.out, "    violation: %s %s at %s: %s %q\n", v.Result.Route, v.Result.Tag, v.Result.At.Format(time.TimeOnly), v.Why, v.Result.Body)
		}
		rep.Rows = append(rep.Rows, rr)
	}
	if h.o.Soak > 0 {
		fmt.Fprintf(h.out, "reliability: soak, %s\n", h.o.Soak)
		soak, err := h.soak(ctx, h.o.Soak)
		if err != nil {
			return err
		}
		rep.Soak = &soak
	}
	rep.Finished = time.Now()
	return rep.Write(h.o)
}
