package reliability

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// coldStart makes every aggregator instance start again: a change of the
// function's environment retires its instances, on AWS as on MiniStack.
func (h *harness) coldStart(ctx context.Context) error {
	lc := lambda.NewFromConfig(h.s.AWS)
	cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(h.s.Aggregator)})
	if err != nil {
		return fmt.Errorf("reliability: cold start: %w", err)
	}
	env := map[string]string{}
	if cfg.Environment != nil {
		for k, v := range cfg.Environment.Variables {
			env[k] = v
		}
	}
	env["PORTICO_RELIABILITY_GENERATION"] = strconv.FormatInt(time.Now().UnixNano(), 10)
	h.coldAt = time.Now()
	if _, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(h.s.Aggregator), Environment: &lambdatypes.Environment{Variables: env},
	}); err != nil {
		return fmt.Errorf("reliability: cold start: %w", err)
	}
	return nil
}

// rotate publishes the signing key kid while the load's tokens move to it
// for half of its subjects (fresh subjects: API Gateway has cached no
// decision for them), those tagged "new key".
func (h *harness) rotate(kid string) error {
	if err := h.s.Rotate(kid); err != nil {
		return err
	}
	var tokens, tags []string
	for i := range subjects {
		kidFor, tag, subject := "k1", "", "load-user-"+strconv.Itoa(i+1)
		if i%2 == 1 {
			kidFor, tag, subject = kid, "new key", fmt.Sprintf("rotated-%s-user-%d", kid, i+1)
		}
		t, err := h.s.Token(subject, kidFor)
		if err != nil {
			return err
		}
		tokens, tags = append(tokens, t), append(tags, tag)
	}
	h.ids.SetTokens(tokens, tags)
	return nil
}

// observeServed notes how many requests instance i of service got during
// the fault and after it, beside its sibling's.
func observeServed(service string, i int) func(context.Context, *harness, *RowResult) {
	return func(_ context.Context, h *harness, rr *RowResult) {
		var parts []string
		for _, in := range h.s.Fleet.Instances[service] {
			parts = append(parts, fmt.Sprintf("%s served %d", in.ID, in.Served.Load()-rr.served[in.ID]))
		}
		rr.Notes = append(rr.Notes, fmt.Sprintf("over the row (%s): %s (%s was the faulty one)", rr.End.Sub(rr.Start).Round(time.Second), strings.Join(parts, ", "), h.s.Fleet.Instances[service][i].ID))
	}
}

// observeNullCall checks that the dashboards answered during the fault had
// the optional call key null.
func observeNullCall(key string) func(context.Context, *harness, *RowResult) {
	return func(_ context.Context, h *harness, rr *RowResult) {
		var null, filled int
		for _, r := range rr.Results {
			if r.Route != "dashboard" || r.Status != 200 || r.At.Before(rr.FaultStart.Add(grace)) || !r.At.Before(rr.FaultEnd) {
				continue
			}
			if slices.Contains(r.Nulls, key) {
				null++
			} else {
				filled++
			}
		}
		rr.Notes = append(rr.Notes, fmt.Sprintf("dashboards answered 200 during the fault: %d with %s null, %d with it filled", null, key, filled))
		switch {
		case filled > 0:
			rr.Checks["optional call"] = fmt.Sprintf("%d dashboards carried %s although its service answered after the call's timeout", filled, key)
		case null == 0:
			rr.Checks["optional call"] = "no dashboard answered during the fault: the check showed nothing"
		default:
			rr.Checks["optional call"] = ""
		}
	}
}

// rotationWithin bounds how soon after Secrets Manager returns the gateway
// presents its re-issued certificate: its reload interval (a minute, checked
// on a handshake) and a margin.
const rotationWithin = 90 * time.Second

// observeRotation checks when vault-service first saw the re-issued
// gateway certificate: not before Secrets Manager returned, and within
// rotationWithin of it.
func observeRotation(_ context.Context, h *harness, rr *RowResult) {
	seen, ok := h.s.Vault.FirstSeen(h.rotated)
	switch {
	case !ok:
		rr.Checks["rotation"] = fmt.Sprintf("vault-service never saw the re-issued certificate (serial %s) in %s after the fault", h.rotated, rr.End.Sub(rr.FaultEnd).Round(time.Second))
	case seen.Before(rr.FaultEnd):
		rr.Checks["rotation"] = fmt.Sprintf("the re-issued certificate was presented %s before Secrets Manager answered again: the fault showed nothing", rr.FaultEnd.Sub(seen).Round(time.Second))
	case seen.Sub(rr.FaultEnd) > rotationWithin:
		rr.Checks["rotation"] = fmt.Sprintf("the re-issued certificate was presented %s after the fault, later than %s", seen.Sub(rr.FaultEnd).Round(time.Second), rotationWithin)
	default:
		rr.Checks["rotation"] = ""
		rr.Notes = append(rr.Notes, fmt.Sprintf("the re-issued gateway certificate reached vault-service %s after Secrets Manager answered again (bound %s)", seen.Sub(rr.FaultEnd).Round(time.Second), rotationWithin))
	}
	rr.Notes = append(rr.Notes, fmt.Sprintf("vault-service saw %d handshakes fail (instances without their certificate end them; nothing is sent)", h.s.Vault.Refused.Load()-rr.refused))
}
