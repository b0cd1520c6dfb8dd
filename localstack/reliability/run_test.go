package reliability

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func res(route string, status int, at time.Duration) Result {
	return Result{Route: route, Status: status, At: t0.Add(at), Latency: 100 * time.Millisecond, JSON: true}
}

// judge allows what the row allows in each phase: healthy answers before
// and after, the fault's answers during it (strictly where Replace says
// so), either around the changes.
func TestJudge(t *testing.T) {
	row := Row{Allowed: map[string][]int{"search": {503}}, Replace: true, Recovery: 10 * time.Second, Tagged: map[string][]int{"new key": {401}}}
	rr := &RowResult{Row: row, FaultStart: t0.Add(20 * time.Second), FaultEnd: t0.Add(50 * time.Second)}
	hot := res("users", 429, 5*time.Second)
	hot.Tag = HotTag
	newKey := res("users", 401, 30*time.Second)
	newKey.Tag = "new key"
	newKeyOK := res("users", 200, 30*time.Second)
	newKeyOK.Tag = "new key"
	tests := []struct {
		name string
		r    Result
		ok   bool
	}{
		{"healthy before", res("users", 200, 5*time.Second), true},
		{"a fault answer before", res("search", 503, 5*time.Second), false},
		{"the hot IP over its limit", hot, true},
		{"search 503 in the fault", res("search", 503, 30*time.Second), true},
		{"search admitted in the fault (Replace)", res("search", 200, 30*time.Second), false},
		{"search admitted just after the fault began", res("search", 200, 21*time.Second), true},
		{"another route healthy in the fault", res("users", 200, 30*time.Second), true},
		{"another route failing in the fault", res("users", 503, 30*time.Second), false},
		{"search 503 in the recovery time", res("search", 503, 55*time.Second), true},
		{"search 503 after the recovery time", res("search", 503, 61*time.Second), false},
		{"a new key refused in the fault", newKey, true},
		{"a new key admitted in the fault", newKeyOK, false},
		{"no answer", Result{Route: "users", At: t0.Add(5 * time.Second), Err: "EOF"}, false},
		{"not JSON", Result{Route: "users", Status: 200, At: t0.Add(5 * time.Second)}, false},
		{"API Gateway's own 502", Result{Route: "users", Status: 502, JSON: true, Message: "Internal server error", At: t0.Add(30 * time.Second)}, false},
		{"past the deadline", Result{Route: "users", Status: 200, JSON: true, At: t0.Add(5 * time.Second), Latency: 11 * time.Second}, false},
		{"due before the fault, answered in it", Result{Route: "search", Status: 503, JSON: true, At: t0.Add(19 * time.Second), Latency: 2 * time.Second}, true},
		{"due in the fault, answered after its end", Result{Route: "search", Status: 200, JSON: true, At: t0.Add(49 * time.Second), Latency: 2 * time.Second}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			why := rr.judge(tt.r)
			if (why == "") != tt.ok {
				t.Fatalf("got %q, want allowed: %v", why, tt.ok)
			}
		})
	}
}

// A 503 from an instance without configuration is allowed where the row
// says so, during the fault only.
func TestJudgeUnconfigured(t *testing.T) {
	rr := &RowResult{Row: Row{Unconfigured: true, Recovery: 10 * time.Second}, FaultStart: t0.Add(20 * time.Second), FaultEnd: t0.Add(50 * time.Second)}
	r := res("users", 503, 30*time.Second)
	r.Message = unconfigured
	if why := rr.judge(r); why != "" {
		t.Fatalf("in the fault: got %q, want allowed", why)
	}
	r.At = t0.Add(5 * time.Second)
	if why := rr.judge(r); why == "" {
		t.Fatal("before the fault: got allowed, want refused")
	}
	rr.Row.Unconfigured = false
	r.At = t0.Add(30 * time.Second)
	if why := rr.judge(r); why == "" {
		t.Fatal("a row that does not allow it: got allowed, want refused")
	}
}

// Recovery is the start of the first settled stretch of healthy answers
// after the fault.
func TestRecovery(t *testing.T) {
	end := t0.Add(120 * time.Second)
	var rs []Result
	for s := 0; s < 100; s++ {
		status := 200
		if s >= 50 && s < 57 {
			status = 503 // the fault lasts until 50 s; answers stay bad until 57 s
		}
		if s == 60 {
			status = 503 // one more blip
		}
		rs = append(rs, res("users", status, time.Duration(s)*time.Second))
	}
	got, ok := recovery(rs, t0.Add(50*time.Second), end)
	if !ok || got != 11*time.Second {
		t.Fatalf("got %s (%v), want 11s: healthy from 61 s", got, ok)
	}
	if _, ok := recovery(rs, t0.Add(50*time.Second), t0.Add(65*time.Second)); ok {
		t.Fatal("observed until 65 s: got recovered, want not yet (10 s of healthy answers needed)")
	}
}

// The mix interleaves the routes by weight and sends every HotEvery-th
// request from the hot IP.
func TestMix(t *testing.T) {
	id := NewIdentities([]string{"t1", "t2"}, map[string]string{"b": "kb", "a": "ka"}, []string{"203.0.113.1"})
	m := NewMix(map[string]int{"users": 2, "search": 1}, id, true)
	var routes []string
	for i := range 6 {
		r := m.Next(i)
		routes = append(routes, r.Route+"@"+r.Header.Get("X-Forwarded-For"))
		if r.Route == "search" && (r.Header.Get("X-Api-Key") == "" || r.Caller == "") {
			t.Fatalf("search request %d: got key %q caller %q, want both", i, r.Header.Get("X-Api-Key"), r.Caller)
		}
	}
	want := []string{"users@203.0.113.1", "search@203.0.113.1", "users@203.0.113.1", "users@203.0.113.1", "search@203.0.113.1", "users@" + HotIP}
	for i := range want {
		if routes[i] != want[i] {
			t.Fatalf("got %v, want %v", routes, want)
		}
	}
	if r := m.Next(5); r.Tag != HotTag || r.Caller != HotIP {
		t.Fatalf("the hot request: got tag %q caller %q, want %q and %s", r.Tag, r.Caller, HotTag, HotIP)
	}
	// A rotation tags tokens; the hot IP keeps the first, untagged.
	id.SetTokens([]string{"old", "new"}, []string{"", "new key"})
	if r := m.Next(11); r.Header.Get("Authorization") != "Bearer old" || r.Tag != HotTag {
		t.Fatalf("the hot request after a rotation: got %q tagged %q, want the first token tagged %q", r.Header.Get("Authorization"), r.Tag, HotTag)
	}
	if r := m.Next(1); r.Header.Get("Authorization") != "Bearer new" || r.Tag != "new key" {
		t.Fatalf("request 1 after a rotation: got %q tagged %q, want the second token tagged new key", r.Header.Get("Authorization"), r.Tag)
	}
}

// MiniStack's 502 Runtime.ExitError is allowed for a request in flight when
// the row changed the function's configuration, and for no other.
func TestKilledByEmulator(t *testing.T) {
	rr := &RowResult{Row: Row{Recovery: 10 * time.Second}, FaultStart: t0.Add(20 * time.Second), FaultEnd: t0.Add(50 * time.Second), ColdStart: t0.Add(20 * time.Second)}
	killed := Result{Route: "users", Status: 502, JSON: true, Message: `{"errorMessage": "Runtime exited before returning a response", "errorType": "Runtime.ExitError"}`, At: t0.Add(19900 * time.Millisecond), Latency: 500 * time.Millisecond}
	if why := rr.judge(killed); why != "" {
		t.Fatalf("in flight at the cold start: got %q, want allowed", why)
	}
	killed.At = t0.Add(25 * time.Second)
	if why := rr.judge(killed); why == "" {
		t.Fatal("due after the cold start: got allowed, want refused")
	}
}
