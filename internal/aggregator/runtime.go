package aggregator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// RuntimeNamespace is the CloudWatch namespace of the runtime metrics line.
const RuntimeNamespace = "Portico/Runtime"

// runtimeMetrics writes, after an invocation and at most once per every,
// one CloudWatch embedded-metric-format line with the instance's goroutines,
// Go heap in use and resident memory: a leak shows as a line that climbs in
// one instance. Safe for concurrent use.
type runtimeMetrics struct {
	w        io.Writer
	function string
	instance string // tells the function's instances apart
	every    time.Duration
	now      func() time.Time
	rss      func() (int64, bool)

	mu   sync.Mutex
	last time.Time
}

func newRuntimeMetrics(w io.Writer, function string, every time.Duration) *runtimeMetrics {
	return &runtimeMetrics{w: w, function: function, instance: strconv.FormatInt(time.Now().UnixNano(), 36), every: every, now: time.Now, rss: residentBytes}
}

// sample writes the line when every has passed since the last one (the
// first invocation writes one).
func (m *runtimeMetrics) sample() {
	now := m.now()
	m.mu.Lock()
	if !m.last.IsZero() && now.Sub(m.last) < m.every {
		m.mu.Unlock()
		return
	}
	m.last = now
	m.mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	line := map[string]any{
		"_aws": map[string]any{
			"Timestamp": now.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  RuntimeNamespace,
				"Dimensions": [][]string{{"Function"}},
				"Metrics": []map[string]string{
					{"Name": "Goroutines", "Unit": "Count"}, {"Name": "HeapInuse", "Unit": "Bytes"}, {"Name": "RSS", "Unit": "Bytes"},
				},
			}},
		},
		"Function": m.function, "Instance": m.instance,
		"Goroutines": runtime.NumGoroutine(), "HeapInuse": ms.HeapInuse, "NumGC": ms.NumGC,
	}
	if rss, ok := m.rss(); ok {
		line["RSS"] = rss
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	m.w.Write(append(b, '\n'))
}

// residentBytes reads the process's resident set from /proc/self/statm
// (Linux, as on Lambda).
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}

// RuntimeSample is one runtime metrics line, as written.
type RuntimeSample struct {
	Timestamp  time.Time
	Function   string
	Instance   string
	Goroutines int
	HeapInuse  int64
	RSS        int64
}

// ParseRuntimeSample reads a runtime metrics line; false for any other line.
func ParseRuntimeSample(line string) (RuntimeSample, bool) {
	var v struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct{ Namespace string }
		} `json:"_aws"`
		Function, Instance string
		Goroutines         int
		HeapInuse, RSS     int64
	}
	if json.Unmarshal([]byte(line), &v) != nil || len(v.AWS.CloudWatchMetrics) != 1 || v.AWS.CloudWatchMetrics[0].Namespace != RuntimeNamespace {
		return RuntimeSample{}, false
	}
	return RuntimeSample{Timestamp: time.UnixMilli(v.AWS.Timestamp), Function: v.Function, Instance: v.Instance, Goroutines: v.Goroutines, HeapInuse: v.HeapInuse, RSS: v.RSS}, true
}

// String is the sample in a few words.
func (s RuntimeSample) String() string {
	return fmt.Sprintf("%s %s: %d goroutines, heap %d KiB, RSS %d KiB", s.Timestamp.Format(time.TimeOnly), s.Instance, s.Goroutines, s.HeapInuse>>10, s.RSS>>10)
}
