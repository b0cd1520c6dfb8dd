package gateway

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadBody: a body is read whole up to the cap, whatever length the
// response declares.
func TestReadBody(t *testing.T) {
	const limit = 8
	tests := []struct {
		name     string
		body     string
		declared int64
		oneByte  bool // the body arrives a byte at a time
		want     string
		tooLarge bool
	}{
		{"declared exactly", "hello", 5, false, "hello", false},
		{"declared exactly, slowly", "hello", 5, true, "hello", false},
		{"unknown length", "hello", -1, false, "hello", false},
		{"declared shorter than sent", "hello world", 5, false, "hello wor", true},
		{"declared longer than sent", "hi", 5, false, "hi", false},
		{"declared zero, empty", "", 0, false, "", false},
		{"at the cap", "12345678", 8, false, "12345678", false},
		{"over the cap, declared", "123456789", 9, false, "123456789", true},
		{"over the cap, unknown", "1234567890", -1, true, "123456789", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tt.body)
			if tt.oneByte {
				body = iotest.OneByteReader(body)
			}
			got, err := readBody(&http.Response{Body: io.NopCloser(body), ContentLength: tt.declared}, limit)
			if err != nil || string(got) != tt.want || (len(got) > limit) != tt.tooLarge {
				t.Fatalf("got %q, %v, want %q (over the cap: %v)", got, err, tt.want, tt.tooLarge)
			}
		})
	}
	failing := iotest.ErrReader(errors.New("reset"))
	if _, err := readBody(&http.Response{Body: io.NopCloser(failing), ContentLength: 4}, limit); err == nil {
		t.Fatal("got no error from a failing body, want one")
	}
}
