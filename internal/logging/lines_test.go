package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// fields is a Fields of string members, for the tests.
type fields [][2]string

func (f fields) AppendFields(b []byte) []byte {
	for _, kv := range f {
		b = append(b, ',')
		b = AppendString(b, kv[0])
		b = append(b, ':')
		b = AppendString(b, kv[1])
	}
	return b
}

// TestLinesReadAsNew: a line from Lines carries what New's logger writes for
// the same message and attributes, in the same order.
func TestLinesReadAsNew(t *testing.T) {
	lc := &lambdacontext.LambdaContext{AwsRequestID: "req-1"}
	contexts := map[string]context.Context{
		"no Lambda context": context.Background(),
		"request and trace": context.WithValue(lambdacontext.NewContext(context.Background(), lc), "x-amzn-trace-id", "Root=1-abc"),
	}
	f := fields{{"path", "/a\"b\\c\n"}, {"user", "héllo\u2028"}, {"ctl", "\x01\x7f"}, {"bad", "\xff"}}
	for name, ctx := range contexts {
		t.Run(name, func(t *testing.T) {
			var viaSlog, viaLines bytes.Buffer
			attrs := make([]any, 0, 2*len(f))
			for _, kv := range f {
				attrs = append(attrs, kv[0], kv[1])
			}
			New(&viaSlog, slog.LevelInfo).With("function", "fn").InfoContext(ctx, "access", attrs...)
			NewLines(&viaLines, "function", "fn").Info(ctx, "access", f)
			want, got := withoutTime(t, viaSlog.Bytes()), withoutTime(t, viaLines.Bytes())
			if !bytes.Equal(got, want) {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

// withoutTime checks line is one JSON object line whose first member is a
// time in RFC 3339, and returns the line without it.
func withoutTime(t *testing.T, line []byte) []byte {
	t.Helper()
	if !bytes.HasSuffix(line, []byte("}\n")) || bytes.Count(line, []byte("\n")) != 1 || !json.Valid(line) {
		t.Fatalf("got %q, want one JSON object and a newline", line)
	}
	var v struct{ Time string }
	json.Unmarshal(line, &v)
	if _, err := time.Parse(time.RFC3339Nano, v.Time); err != nil {
		t.Fatalf("got time %q, want RFC 3339: %v", v.Time, err)
	}
	prefix := `{"time":` + strconv.Quote(v.Time) + `,`
	if !bytes.HasPrefix(line, []byte(prefix)) {
		t.Fatalf("got %s, want it to start with %s", line, prefix)
	}
	return line[len(prefix):]
}

// TestAppendString: strings come out byte for byte as slog's JSON handler
// writes them.
func TestAppendString(t *testing.T) {
	tests := []string{"", "plain", `q"uo\te`, "tab\tnl\ncr\r", "\x00\x1f\x7f", "<html>&amp;", "héllo wörld ✓",
		"\u2028\u2029", "bad \xff\xfe utf8", "\xed\xa0\x80", "emoji 😀", string(rune(0xfffd))}
	for _, s := range tests {
		t.Run(strconv.Quote(s), func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropBuiltins})).Info("", "k", s)
			want := bytes.TrimSuffix(bytes.TrimPrefix(buf.Bytes(), []byte(`{"msg":"","k":`)), []byte("}\n"))
			if got := AppendString(nil, s); !bytes.Equal(got, want) {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

func dropBuiltins(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
		return slog.Attr{}
	}
	return a
}

// TestAppendFloat: floats come out as encoding/json writes them, over
// hand-picked and random values of every magnitude.
func TestAppendFloat(t *testing.T) {
	values := []float64{0, 1, -1, 0.1, 0.125, 1.5, 12.345, 1e-6, 9.99e-7, 1e-7, 1.5e-9, 1e20, 1e21, 1.5e21, 123456789012,
		math.SmallestNonzeroFloat64, math.MaxFloat64, -1e-7, -1e21, math.Copysign(0, -1)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		values = append(values, math.Float64frombits(rng.Uint64()))
	}
	for _, f := range values {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendFloat(nil, f); !bytes.Equal(got, want) {
			t.Fatalf("%v: got %s, want %s", f, got, want)
		}
	}
}

// TestLinesConcurrent: lines written at once are whole lines.
func TestLinesConcurrent(t *testing.T) {
	var buf bytes.Buffer
	l := NewLines(&buf)
	done := make(chan struct{})
	for range 8 {
		go func() {
			for range 100 {
				l.Info(context.Background(), "m", fields{{"k", "v"}})
			}
			done <- struct{}{}
		}()
	}
	for range 8 {
		<-done
	}
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != 800 {
		t.Fatalf("got %d lines, want 800", len(lines))
	}
	for _, line := range lines {
		var v map[string]any
		if err := json.Unmarshal(line, &v); err != nil || !reflect.DeepEqual(v["k"], "v") {
			t.Fatalf("got line %q (%v), want a whole line", line, err)
		}
	}
}
