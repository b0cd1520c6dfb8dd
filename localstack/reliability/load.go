package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// Request is one planned request of the load.
type Request struct {
	// Route names the route it exercises, such as "users".
	Route  string
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Caller is who the request counts for under a per-caller limit (an API
	// key's name, or a client IP), empty when no such limit applies.
	Caller string
	// Tag marks requests a row judges apart (a token of a new key, the
	// client IP over its limit).
	Tag string
}

// Result is what one request got.
type Result struct {
	Route, Caller, Tag string
	// At is when the request was due: latency counts from there, so a
	// generator that fell behind does not hide the delay (coordinated
	// omission).
	At      time.Time
	Latency time.Duration
	// Status is 0 when no answer came (Err says why).
	Status int
	Err    string
	// Body is the first 512 bytes of the answer.
	Body []byte
	// JSON says the whole body parsed as JSON; Message is its "message",
	// Nulls its top-level keys whose value is null (a composite's failed
	// optional calls).
	JSON    bool
	Message string
	Nulls   []string
	// Cache is the X-Cache header.
	Cache string
}

// maxBody is how much of an answer a Result keeps.
const maxBody = 512

// Load sends requests at a fixed arrival rate, each on its own goroutine, so
// that slow answers never slow the arrivals (an open model, not a closed
// loop): the latency under load is what a client would see.
type Load struct {
	// Client sends the requests; its Timeout bounds each.
	Client *http.Client
	// BaseURL is the stage's invoke URL.
	BaseURL string
	// Rate is the arrivals per second.
	Rate float64
	// Next returns the i-th request of the mix.
	Next func(i int) Request
	// MaxInFlight bounds the requests in flight; one due beyond it is not
	// sent and records the error "generator: too many in flight". Default 500.
	MaxInFlight int
}

// Recorder collects Results; safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	results []Result
}

// Add records r.
func (rec *Recorder) Add(r Result) {
	rec.mu.Lock()
	rec.results = append(rec.results, r)
	rec.mu.Unlock()
}

// Since returns the results due at or after t, in no particular order.
func (rec *Recorder) Since(t time.Time) []Result { return rec.Between(t, time.Time{}) }

// Between returns the results due from t up to end (the zero end: no end).
func (rec *Recorder) Between(t, end time.Time) []Result {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []Result
	for _, r := range rec.results {
		if !r.At.Before(t) && (end.IsZero() || r.At.Before(end)) {
			out = append(out, r)
		}
	}
	return out
}

// Run sends the load for d (or until ctx ends), records every result in rec
// and returns once every request sent has its answer.
func (l Load) Run(ctx context.Context, d time.Duration, rec *Recorder) {
	maxIn := l.MaxInFlight
	if maxIn == 0 {
		maxIn = 500
	}
	sem := make(chan struct{}, maxIn)
	var wg sync.WaitGroup
	start := time.Now()
	interval := time.Duration(float64(time.Second) / l.Rate)
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= d {
			break
		}
		if wait(ctx, time.Until(at)) != nil {
			break
		}
		req := l.Next(i)
		select {
		case sem <- struct{}{}:
		default:
			rec.Add(Result{Route: req.Route, Caller: req.Caller, Tag: req.Tag, At: at, Err: "generator: too many in flight"})
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			rec.Add(l.send(ctx, req, at))
		})
	}
	wg.Wait()
}

func (l Load) send(ctx context.Context, req Request, at time.Time) Result {
	res := Result{Route: req.Route, Caller: req.Caller, Tag: req.Tag, At: at}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(context.WithoutCancel(ctx), req.Method, l.BaseURL+req.Path, body)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	resp, err := l.Client.Do(hr)
	if err != nil {
		res.Latency, res.Err = time.Since(at), err.Error()
		return res
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	res.Latency, res.Status, res.Cache = time.Since(at), resp.StatusCode, resp.Header.Get("X-Cache")
	if err != nil {
		res.Err = "reading the answer: " + err.Error()
	}
	var v map[string]any
	if json.Unmarshal(b, &v) == nil {
		res.JSON = true
		res.Message, _ = v["message"].(string)
		for k, x := range v {
			if x == nil {
				res.Nulls = append(res.Nulls, k)
			}
		}
	} else {
		var any any
		res.JSON = json.Unmarshal(b, &any) == nil
	}
	res.Body = b[:min(len(b), maxBody)]
	return res
}
