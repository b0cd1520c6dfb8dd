package logging

import (
	"context"
	"io"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Lines writes INFO lines whose fields the caller encodes itself, with the
// envelope New's logger gives every line: time, level, msg, the members
// given to NewLines (as Logger.With adds them), the caller's fields, then
// requestId and traceId from the context. A line written on every request
// with fixed fields (the gateway's access line) then skips slog's generic
// work per attribute, and reads as New's logger would write it. It is safe
// for concurrent use; each line is one Write.
type Lines struct {
	w    io.Writer
	with []byte // `,"key":"value"` members
	mu   sync.Mutex
	pool sync.Pool // of *[]byte
	now  func() time.Time
}

// NewLines returns Lines writing to w; with are key, value pairs every line
// carries after msg.
func NewLines(w io.Writer, with ...string) *Lines {
	l := &Lines{w: w, now: time.Now}
	for i := 0; i+1 < len(with); i += 2 {
		l.with = append(l.with, ',')
		l.with = AppendString(l.with, with[i])
		l.with = append(l.with, ':')
		l.with = AppendString(l.with, with[i+1])
	}
	l.pool.New = func() any { b := make([]byte, 0, 1024); return &b }
	return l
}

// Fields are a line's own members.
type Fields interface {
	// AppendFields appends the members to b, each as `,"key":value`, and
	// returns b.
	AppendFields(b []byte) []byte
}

// Info writes one INFO line with message msg and fields.
func (l *Lines) Info(ctx context.Context, msg string, fields Fields) {
	bp := l.pool.Get().(*[]byte)
	b := append((*bp)[:0], `{"time":"`...)
	b = l.now().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":`...)
	b = AppendString(b, msg)
	b = append(b, l.with...)
	b = fields.AppendFields(b)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		b = append(b, `,"requestId":`...)
		b = AppendString(b, lc.AwsRequestID)
	}
	// aws-lambda-go stores the trace header under this key.
	if trace, ok := ctx.Value("x-amzn-trace-id").(string); ok && trace != "" {
		b = append(b, `,"traceId":`...)
		b = AppendString(b, trace)
	}
	b = append(b, "}\n"...)
	l.mu.Lock()
	l.w.Write(b)
	l.mu.Unlock()
	*bp = b
	l.pool.Put(bp)
}

// AppendString appends s to b as a JSON string, escaped as slog's JSON
// handler escapes it: quotes, backslashes and control characters, U+2028 and
// U+2029; invalid UTF-8 becomes U+FFFD.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			switch r {
			case utf8.RuneError:
				b = append(b, `\ufffd`...)
			default:
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendFloat appends f as encoding/json (and so slog's JSON handler) writes
// a float64: the shortest form, in exponent form below 1e-6 and from 1e21.
// f must be finite.
func AppendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9, as encoding/json writes it
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
