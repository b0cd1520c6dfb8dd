package aggregator

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The runtime line is written on the first invocation and then at most once
// per interval, parses back, and carries the process's figures.
func TestRuntimeMetrics(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(1_700_000_000, 0)
	m := newRuntimeMetrics(&out, "gw", time.Minute)
	m.now = func() time.Time { return now }
	m.rss = func() (int64, bool) { return 42 << 20, true }
	steps := []struct {
		advance time.Duration
		want    int // lines written so far
	}{
		{0, 1}, {30 * time.Second, 1}, {30 * time.Second, 2}, {59 * time.Second, 2}, {time.Second, 3},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		m.sample()
		if got := strings.Count(out.String(), "\n"); got != s.want {
			t.Fatalf("step %d: got %d lines, want %d", i, got, s.want)
		}
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	got, ok := ParseRuntimeSample(first)
	if !ok || got.Function != "gw" || got.Instance == "" || got.Goroutines < 1 || got.HeapInuse <= 0 || got.RSS != 42<<20 || !got.Timestamp.Equal(time.Unix(1_700_000_000, 0)) {
		t.Fatalf("got %+v (%v), want the function, an instance, goroutines, heap, the RSS and the time", got, ok)
	}
}

func TestParseRuntimeSampleRefusesOtherLines(t *testing.T) {
	for _, line := range []string{
		`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Portico/Gateway"}]},"Requests":1}`,
		`{"level":"INFO","msg":"request"}`,
		`START RequestId: 1`,
	} {
		if s, ok := ParseRuntimeSample(line); ok {
			t.Errorf("line %q: got %+v, want no sample", line, s)
		}
	}
}

// residentBytes reads this process's resident memory on Linux.
func TestResidentBytes(t *testing.T) {
	n, ok := residentBytes()
	if !ok {
		t.Skip("no /proc/self/statm on this system")
	}
	if n < 1<<20 {
		t.Fatalf("got %d bytes resident, want at least a MiB for a Go test binary", n)
	}
}
