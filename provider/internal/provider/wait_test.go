package provider

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestPoll(t *testing.T) {
	ctx := context.Background()
	calls := 0
	err := poll(ctx, "thing", func(context.Context) (bool, error) {
		calls++
		return calls == 2, nil
	})
	if err != nil || calls != 2 {
		t.Errorf("done on the second call: got %d calls, %v; want 2, nil", calls, err)
	}

	boom := errors.New("boom")
	err = poll(ctx, "thing", func(context.Context) (bool, error) { return false, boom })
	if !errors.Is(err, boom) {
		t.Errorf("failing check: got %v, want %v", err, boom)
	}

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = poll(short, "the thing", func(context.Context) (bool, error) { return false, nil })
	if !errors.Is(err, errTimeout) || !strings.Contains(err.Error(), "waiting for the thing") {
		t.Errorf("never done: got %v, want a timeout naming what was awaited", err)
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

// retryCall retries what the classifiers accept until the call succeeds or
// the context ends; a timeout carries the last retried error.
func TestRetryCall(t *testing.T) {
	notYet := &smithy.GenericAPIError{Code: "InvalidParameterValueException", Message: "The role defined for the function cannot be assumed by Lambda."}
	busy := &smithy.GenericAPIError{Code: "ResourceConflictException", Message: "The operation cannot be performed at this time. An update is in progress for resource"}
	exists := &smithy.GenericAPIError{Code: "ResourceConflictException", Message: "The statement id (x) provided already exists."}
	tests := []struct {
		name      string
		errs      []error // one per call; nil succeeds
		retryOn   []retryable
		wantCalls int
		wantErr   error
	}{
		{"role assumable on the third call", []error{notYet, notYet, nil}, []retryable{roleNotAssumableYet}, 3, nil},
		{"busy function", []error{busy, nil}, []retryable{lambdaBusy}, 2, nil},
		{"statement exists is not busy", []error{exists}, []retryable{lambdaBusy}, 1, exists},
		{"other errors are not retried", []error{busy}, []retryable{roleNotAssumableYet}, 1, busy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := retryCall(context.Background(), "x", func(context.Context) error {
				err := tt.errs[calls]
				calls++
				return err
			}, tt.retryOn...)
			if calls != tt.wantCalls || !errors.Is(err, tt.wantErr) {
				t.Errorf("got %d calls, %v; want %d, %v", calls, err, tt.wantCalls, tt.wantErr)
			}
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	err := retryCall(ctx, "the role", func(context.Context) error { return notYet }, roleNotAssumableYet)
	if !isTimeout(err) || !strings.Contains(err.Error(), "cannot be assumed") || !strings.Contains(err.Error(), "waiting for the role") {
		t.Errorf("never assumable: got %v, want a timeout naming the wait and the last error", err)
	}
}

// A timeouts block's value bounds the operation; a missing one means the
// resource's default.
func TestWithTimeout(t *testing.T) {
	defaults := opTimeouts{Create: 7 * time.Minute, Update: 3 * time.Minute, Delete: time.Minute}
	attrTypes := map[string]attr.Type{"create": types.StringType, "update": types.StringType, "delete": types.StringType}
	block := func(create string) timeouts.Value {
		return timeouts.Value{Object: types.ObjectValueMust(attrTypes, map[string]attr.Value{
			"create": types.StringValue(create), "update": types.StringNull(), "delete": types.StringNull(),
		})}
	}
	tests := []struct {
		name string
		t    timeouts.Value
		op   operation
		want time.Duration
	}{
		{"configured", block("90s"), opCreate, 90 * time.Second},
		{"default update", block("90s"), opUpdate, 3 * time.Minute},
		{"no block", timeouts.Value{Object: types.ObjectNull(attrTypes)}, opDelete, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var diags diag.Diagnostics
			start := time.Now()
			ctx, cancel := withTimeout(context.Background(), tt.t, tt.op, defaults, &diags)
			defer cancel()
			deadline, ok := ctx.Deadline()
			if diags.HasError() || !ok {
				t.Fatalf("got %v, deadline %v; want a deadline", diags, ok)
			}
			if got := deadline.Sub(start); got < tt.want-time.Second || got > tt.want+time.Second {
				t.Errorf("got a deadline %s away, want %s", got, tt.want)
			}
		})
	}
}

func TestDurationText(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Second: "1m30s", 90 * time.Minute: "1h30m", 20 * time.Minute: "20m"} {
		if got := durationText(d); got != want {
			t.Errorf("durationText(%s): got %q, want %q", d, got, want)
		}
	}
}
