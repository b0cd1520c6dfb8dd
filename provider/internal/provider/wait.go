package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Every wait and retry of the provider runs until its context ends: the
// context of a Create, Update or Delete carries the deadline of the
// resource's timeouts block (or of its default), so a user can give a slow
// region or a large account more time, and nothing waits a fixed time.

// Bounds of the interval between two polls.
const (
	pollMin = 500 * time.Millisecond
	pollMax = 10 * time.Second
)

// defaultWait bounds a wait whose context has no deadline (a Read, or a test).
const defaultWait = 5 * time.Minute

// errTimeout marks a wait that ran out of time.
var errTimeout = errors.New("timed out")

// pollFunc checks once whether a wait is over. It returns done=true when it is,
// or an error to stop waiting.
type pollFunc func(ctx context.Context) (done bool, err error)

// poll calls check until it reports done, fails, or ctx ends (defaultWait
// when ctx has no deadline), doubling the interval between calls from pollMin
// up to pollMax. Running out of time is an error wrapping errTimeout that
// names what was awaited and for how long.
func poll(ctx context.Context, what string, check pollFunc) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultWait)
		defer cancel()
	}
	start := time.Now()
	interval := pollMin
	for {
		done, err := check(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w after %s waiting for %s: %w", errTimeout, roundDuration(time.Since(start)), what, err)
			}
			return err
		}
		if done {
			return nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w after %s waiting for %s", errTimeout, roundDuration(time.Since(start)), what)
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

// remaining is the time left before ctx's deadline, for the SDK's waiters,
// which take a maximum duration rather than a context deadline.
func remaining(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return defaultWait
	}
	if d := time.Until(deadline); d > 0 {
		return d
	}
	return time.Millisecond
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// isTimeout reports whether err is a wait or call cut short by its deadline.
func isTimeout(err error) bool {
	return errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded)
}

// retryable reports whether a failed call may succeed if made again later.
type retryable func(error) bool

// retryCall makes call until it succeeds, fails with an error that none of
// retryOn accepts, or ctx ends; what names the condition awaited, for the
// timeout error, which then also carries the last retried error.
func retryCall(ctx context.Context, what string, call func(ctx context.Context) error, retryOn ...retryable) error {
	var last error
	err := poll(ctx, what, func(ctx context.Context) (bool, error) {
		err := call(ctx)
		if err == nil {
			return true, nil
		}
		for _, r := range retryOn {
			if r(err) && ctx.Err() == nil {
				last = err
				tflog.Debug(ctx, "retrying", map[string]any{"waiting_for": what, "error": awsMessage(err)})
				return false, nil
			}
		}
		return false, err
	})
	if err != nil && last != nil && errors.Is(err, errTimeout) && !strings.Contains(err.Error(), awsMessage(last)) {
		return fmt.Errorf("%w (last error: %s)", err, awsMessage(last))
	}
	return err
}

// roleNotAssumableYet is IAM's eventual consistency as Lambda reports it: a
// role created or changed moments ago that Lambda cannot assume yet.
func roleNotAssumableYet(err error) bool {
	return hasErrorCode(err, "InvalidParameterValueException") && strings.Contains(awsMessage(err), "cannot be assumed")
}

// vpcPermissionsNotYet is Lambda refusing a VPC function whose role was
// given the EC2 network-interface permissions moments ago (IAM is eventually
// consistent): "The provided execution role does not have permissions to
// call CreateNetworkInterface on EC2".
func vpcPermissionsNotYet(err error) bool {
	return hasErrorCode(err, "InvalidParameterValueException") && strings.Contains(awsMessage(err), "NetworkInterface")
}

// lambdaBusy is Lambda refusing a change while another one to the same
// function (or its resource policy) is in progress; it passes.
func lambdaBusy(err error) bool {
	if hasErrorCode(err, "PreconditionFailedException") {
		return true
	}
	return hasErrorCode(err, "ResourceConflictException") && !strings.Contains(awsMessage(err), "already exists")
}

// opTimeouts are the default timeouts of a resource's operations; a zero
// duration means the resource has no timeout for that operation.
type opTimeouts struct {
	Create, Update, Delete time.Duration
}

// block is the resource's timeouts block, its defaults in the descriptions.
func (d opTimeouts) block(ctx context.Context) schema.Block {
	desc := func(op string, def time.Duration) string {
		return fmt.Sprintf("How long to wait for the %s, a duration such as `\"30m\"` or `\"1h\"`. Default `\"%s\"`.", op, durationText(def))
	}
	b := timeouts.Block(ctx, timeouts.Opts{
		Create: d.Create > 0, CreateDescription: desc("create", d.Create),
		Update: d.Update > 0, UpdateDescription: desc("update", d.Update),
		Delete: d.Delete > 0, DeleteDescription: desc("delete", d.Delete),
	})
	nested, ok := b.(schema.SingleNestedBlock)
	if !ok {
		return b
	}
	nested.MarkdownDescription = "How long Terraform waits for AWS (resources settling, IAM propagating, conflicting changes finishing) before it gives up."
	return nested
}

// durationText is d as a timeouts block would spell it: "5m", "90s", "1h".
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// operation names a timed operation of a resource.
type operation string

const (
	opCreate operation = "create"
	opUpdate operation = "update"
	opDelete operation = "delete"
)

// withTimeout bounds ctx by the timeout the block t sets for op, or by the
// resource's default.
func withTimeout(ctx context.Context, t timeouts.Value, op operation, defaults opTimeouts, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	var (
		d  time.Duration
		dd diag.Diagnostics
	)
	switch op {
	case opCreate:
		d, dd = t.Create(ctx, defaults.Create)
	case opUpdate:
		d, dd = t.Update(ctx, defaults.Update)
	case opDelete:
		d, dd = t.Delete(ctx, defaults.Delete)
	}
	diags.Append(dd...)
	if d <= 0 {
		d = defaultWait
	}
	tflog.Debug(ctx, "operation timeout", map[string]any{"operation": string(op), "timeout": d.String()})
	return context.WithTimeout(ctx, d)
}
