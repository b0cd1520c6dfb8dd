package provider

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPoll(t *testing.T) {
	ctx := context.Background()
	calls := 0
	err := poll(ctx, time.Minute, "thing", func(context.Context) (bool, error) {
		calls++
		return calls == 2, nil
	})
	if err != nil || calls != 2 {
		t.Errorf("done on the second call: got %d calls, %v; want 2, nil", calls, err)
	}

	boom := errors.New("boom")
	err = poll(ctx, time.Minute, "thing", func(context.Context) (bool, error) { return false, boom })
	if !errors.Is(err, boom) {
		t.Errorf("failing check: got %v, want %v", err, boom)
	}

	start := time.Now()
	err = poll(ctx, 50*time.Millisecond, "thing", func(context.Context) (bool, error) { return false, nil })
	if err == nil {
		t.Errorf("never done: got nil, want a timeout error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("never done: returned after %s, want about 50ms", d)
	}
}

func TestNextInterval(t *testing.T) {
	tests := []struct{ in, want time.Duration }{
		{pollMin, 2 * pollMin},
		{4 * time.Second, 8 * time.Second},
		{8 * time.Second, pollMax},
		{pollMax, pollMax},
	}
	for _, tt := range tests {
		if got := nextInterval(tt.in); got != tt.want {
			t.Errorf("nextInterval(%s): got %s, want %s", tt.in, got, tt.want)
		}
	}
}
