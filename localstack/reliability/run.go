package reliability

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Phases of a row, as a request's due time places it.
const (
	warmFor = 20 * time.Second // healthy load before the fault
	grace   = 3 * time.Second  // requests due this soon after a change may meet either side
	settled = 10 * time.Second // healthy this long in a row: recovered
	// readyWithin bounds the wait for a healthy stack before a row.
	readyWithin = 3 * time.Minute
)

// deadlines are the routes' deadlines as the stack sets them (the route's
// timeout, within the function's 10 s); a request may take slack more for
// API Gateway, the authorizer and a loaded emulator.
var deadlines = map[string]time.Duration{
	"users": 5 * time.Second, "products": 5 * time.Second, "search": 5 * time.Second, "payments": 5 * time.Second,
	"dashboard": 8 * time.Second, "ledger": 10 * time.Second, "vault": 5 * time.Second,
}

const slack = 5 * time.Second

// killedByEmulator reports whether res is MiniStack's answer for an
// invocation it ended itself: a change of the function's configuration (the
// cold starts of a row) kills the instances in use, where AWS lets their
// invocations finish. Allowed only for requests in flight at that moment.
func killedByEmulator(rr *RowResult, res Result) bool {
	return res.Status == 502 && strings.Contains(res.Message, "Runtime.ExitError") && !rr.ColdStart.IsZero() &&
		!res.At.After(rr.ColdStart) && res.At.Add(res.Latency).After(rr.ColdStart)
}

// unconfigured is the message of a function instance with no configuration.
const unconfigured = "Configuration not loaded"

// Violation is a request whose answer the row does not allow.
type Violation struct {
	Result Result
	Why    string
}

// RowResult is what one row measured.
type RowResult struct {
	Row                              Row
	Start, FaultStart, FaultEnd, End time.Time
	Results                          []Result
	Violations                       []Violation
	// Recovered says the stack answered as healthy for settled in a row
	// after the fault; Recovery is how long after the fault's end that began.
	Recovered bool
	Recovery  time.Duration
	// Checks are the after-the-fault checks by name: "" when it held.
	Checks map[string]string
	// Notes are what the row observed beyond the checks.
	Notes []string
	Err   error

	// ColdStart is when the row made every function instance start again.
	ColdStart time.Time

	served   map[string]int64 // requests each instance had served at the start
	refused  int64            // vault-service's failed handshakes at the start
	counters map[string]int64 // the highest count seen of each counter (watchCounters)
}

// Held says the row held: no violation, recovered in time, every check.
func (r RowResult) Held() bool {
	if r.Err != nil || len(r.Violations) > 0 || !r.Recovered || r.Recovery > r.Row.Recovery {
		return false
	}
	for _, v := range r.Checks {
		if v != "" {
			return false
		}
	}
	return true
}

// healthy reports whether res is an answer of a healthy stack.
func healthy(res Result) bool {
	ok := Routes[res.Route]
	if res.Tag == HotTag {
		ok = append(slices.Clone(ok), 429)
	}
	return res.Status != 0 && slices.Contains(ok, res.Status)
}

// allowedInFault is what the row allows a request due well inside the fault.
func (row Row) allowedInFault(res Result) []int {
	if st, ok := row.Tagged[res.Tag]; ok {
		return st
	}
	ok := slices.Clone(Routes[res.Route])
	if res.Tag == HotTag {
		ok = append(ok, 429)
	}
	extra, listed := row.Allowed[res.Route]
	if row.Replace && listed {
		ok = slices.Clone(extra)
		if res.Tag == HotTag {
			ok = append(ok, 429)
		}
		return ok
	}
	return append(ok, extra...)
}

// judge returns why res is not allowed, or "".
func (rr *RowResult) judge(res Result) string {
	switch {
	case res.Status == 0:
		return "no answer: " + res.Err
	case !res.JSON:
		return fmt.Sprintf("%d with a body that is not JSON", res.Status)
	case res.Status >= 500 && (res.Message == "Internal server error" || res.Message == "Endpoint request timed out" || strings.Contains(res.Message, "errorType")) && !killedByEmulator(rr, res):
		return fmt.Sprintf("%d from API Gateway itself (%q): the function failed or timed out", res.Status, res.Message)
	case res.Latency > deadlines[res.Route]+rr.slack(res):
		return fmt.Sprintf("%d after %s, past the route's deadline %s (+%s)", res.Status, res.Latency.Round(time.Millisecond), deadlines[res.Route], rr.slack(res))
	}
	row := rr.Row
	end := res.At.Add(res.Latency)
	if row.Unconfigured && res.Status == 503 && res.Message == unconfigured && end.After(rr.FaultStart) && res.At.Before(rr.FaultEnd.Add(row.Recovery)) {
		return ""
	}
	if killedByEmulator(rr, res) {
		return ""
	}
	var ok []int
	switch {
	case !end.After(rr.FaultStart):
		if healthy(res) {
			return ""
		}
		ok = Routes[res.Route]
	case res.At.Before(rr.FaultStart.Add(grace)), end.After(rr.FaultEnd) && res.At.Before(rr.FaultEnd.Add(row.Recovery)):
		// Met the fault's start or end, or due in the recovery time.
		if healthy(res) || slices.Contains(row.allowedInFault(res), res.Status) {
			return ""
		}
		ok = append(slices.Clone(Routes[res.Route]), row.allowedInFault(res)...)
	case !end.After(rr.FaultEnd):
		ok = row.allowedInFault(res)
		if slices.Contains(ok, res.Status) {
			return ""
		}
	default:
		if healthy(res) {
			return ""
		}
		ok = Routes[res.Route]
	}
	slices.Sort(ok)
	return fmt.Sprintf("%d, not among %v", res.Status, slices.Compact(ok))
}

// slack is how much longer than its route's deadline res may take: slack,
// or the row's ColdSlack during its fault and recovery time.
func (rr *RowResult) slack(res Result) time.Duration {
	if rr.Row.ColdSlack > 0 && res.At.Add(res.Latency).After(rr.FaultStart) && res.At.Before(rr.FaultEnd.Add(rr.Row.Recovery)) {
		return rr.Row.ColdSlack
	}
	return slack
}

// recovery finds the first moment after the fault from which every request
// due in the next settled was answered as healthy.
func recovery(results []Result, faultEnd, end time.Time) (time.Duration, bool) {
	after := slices.DeleteFunc(slices.Clone(results), func(r Result) bool { return r.At.Before(faultEnd) })
	slices.SortFunc(after, func(a, b Result) int { return a.At.Compare(b.At) })
	for i := range after {
		t := after[i].At
		if t.Add(settled).After(end) {
			break
		}
		ok := true
		for _, r := range after[i:] {
			if !r.At.Before(t.Add(settled)) {
				break
			}
			if !healthy(r) {
				ok = false
				break
			}
		}
		if ok {
			return t.Sub(faultEnd), true
		}
	}
	return 0, false
}

// runRow runs one row with the load flowing throughout.
func (h *harness) runRow(ctx context.Context, row Row) RowResult {
	rr := RowResult{Row: row, Checks: map[string]string{}}
	before, err := h.snapshot(ctx)
	if err != nil {
		rr.Err = err
		return rr
	}
	rr.served = before.served
	rr.refused = h.s.Vault.Refused.Load()
	loadCtx, stopLoad := context.WithCancel(ctx)
	done := make(chan struct{})
	ready := time.Now()
	go func() {
		h.load().Run(loadCtx, 24*time.Hour, h.rec)
		close(done)
	}()
	fail := func(err error) RowResult {
		stopLoad()
		<-done
		row.Stop(context.WithoutCancel(ctx), h)
		rr.Err = err
		return rr
	}
	// A row starts on a healthy stack: the previous row's aftermath (a
	// storm of cold starts slows the emulator) is not this row's doing.
	for {
		if err := wait(ctx, 2*time.Second); err != nil {
			return fail(err)
		}
		if _, ok := recovery(h.rec.Since(ready), ready, time.Now().Add(-slack-deadlines["ledger"])); ok {
			break
		}
		if time.Since(ready) > readyWithin {
			return fail(fmt.Errorf("the stack was not healthy for %s in a row within %s before the fault", settled, readyWithin))
		}
	}
	rr.Start = time.Now()
	rr.counters = map[string]int64{}
	countersCtx, stopCounters := context.WithCancel(ctx)
	countersDone := make(chan struct{})
	go func() {
		h.watchCounters(countersCtx, rr.counters)
		close(countersDone)
	}()
	defer func() {
		stopCounters()
		<-countersDone
	}()
	warm := warmFor
	if h.o.Warm > 0 {
		warm = h.o.Warm
	}
	if h.o.Scale > 0 {
		row.Window = time.Duration(float64(row.Window) * h.o.Scale)
		rr.Row.Window = row.Window
	}
	if err := wait(ctx, warm); err != nil {
		return fail(err)
	}
	rr.FaultStart = time.Now()
	fmt.Fprintf(h.out, "  %s: %s\n", row.ID, row.Fault)
	if err := row.Start(ctx, h); err != nil {
		return fail(fmt.Errorf("starting the fault: %w", err))
	}
	if err := wait(ctx, row.Window); err != nil {
		return fail(err)
	}
	if err := row.Stop(ctx, h); err != nil {
		return fail(fmt.Errorf("ending the fault: %w", err))
	}
	rr.FaultEnd = time.Now()
	// Observe until healthy for settled, at most the row's recovery time
	// and settled more.
	limit := rr.FaultEnd.Add(row.Recovery + settled + grace)
	if settle := rr.FaultEnd.Add(row.SettleWithin); row.Settle != nil && settle.After(limit) {
		limit = settle
	}
	for time.Now().Before(limit) {
		if wait(ctx, 2*time.Second) != nil {
			break
		}
		_, ok := recovery(h.rec.Since(rr.FaultEnd), rr.FaultEnd, time.Now().Add(-slack-deadlines["ledger"]))
		if ok && (row.Settle == nil || row.Settle(h)) {
			break
		}
	}
	stopLoad()
	<-done
	stopCounters()
	<-countersDone
	rr.End = time.Now()
	rr.ColdStart = h.coldAt
	h.coldAt = time.Time{}
	rr.Results = h.rec.Between(rr.Start, rr.End)
	for _, res := range rr.Results {
		if why := rr.judge(res); why != "" {
			rr.Violations = append(rr.Violations, Violation{Result: res, Why: why})
		}
	}
	rr.Recovery, rr.Recovered = recovery(rr.Results, rr.FaultEnd, rr.End)
	if n := countFunc(rr.Results, func(r Result) bool { return killedByEmulator(&rr, r) }); n > 0 {
		rr.Notes = append(rr.Notes, fmt.Sprintf("%d requests in flight when the function's configuration changed were ended by MiniStack (502 Runtime.ExitError); AWS lets them finish", n))
	}
	if n := countFunc(rr.Results, func(r Result) bool { return r.Message == unconfigured }); n > 0 {
		rr.Notes = append(rr.Notes, fmt.Sprintf("%d answers were 503 %q, from function instances that started while the configuration could not be read", n, unconfigured))
	}
	h.check(ctx, &rr, before)
	if row.Observe != nil {
		row.Observe(ctx, h, &rr)
	}
	h.ids.Untag()
	return rr
}

// counts is "status×count, ..." of results.
func counts(results []Result) string {
	by := map[string]int{}
	for _, r := range results {
		by[statusName(r)]++
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, by[k]))
	}
	return strings.Join(parts, ", ")
}

func countFunc(results []Result, f func(Result) bool) int {
	n := 0
	for _, r := range results {
		if f(r) {
			n++
		}
	}
	return n
}
