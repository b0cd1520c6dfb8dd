package provider

import (
	"context"
	"fmt"
	"time"
)

// Bounds of the waits for eventual consistency.
const (
	// waitTimeout bounds a wait for an AWS resource to settle.
	waitTimeout = 5 * time.Minute
	// pollMin and pollMax bound the interval between two polls.
	pollMin = 500 * time.Millisecond
	pollMax = 10 * time.Second
)

// pollFunc checks once whether a wait is over. It returns done=true when it is,
// or an error to stop waiting.
type pollFunc func(ctx context.Context) (done bool, err error)

// poll calls check until it reports done, fails, or timeout passes, doubling the
// interval between calls from pollMin up to pollMax.
func poll(ctx context.Context, timeout time.Duration, what string, check pollFunc) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	interval := pollMin
	for {
		done, err := check(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		case <-t.C:
		}
		interval = nextInterval(interval)
	}
}

// nextInterval doubles d, capped at pollMax.
func nextInterval(d time.Duration) time.Duration {
	d *= 2
	if d > pollMax {
		return pollMax
	}
	return d
}
