//go:build e2e

package ministack

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// probe runs localstack/ministack/probe_authorizer_context.py with the
// repository's MiniStack, patched (the copy emulator.sh runs) or as
// installed, and returns what a client gets for an authorizer's Deny whose
// context says "Token expired", through the gateway response
// {"message":"$context.authorizer.message"}.
func probe(t *testing.T, patched bool) (status int, body, version string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	venv := filepath.Join(root, ".tools", "venv")
	if _, err := os.Stat(filepath.Join(venv, "bin", "python")); err != nil {
		t.Fatalf("MiniStack is not installed in %s (make tools): %v", venv, err)
	}
	cmd := exec.Command(filepath.Join(venv, "bin", "python"), filepath.Join(root, "localstack", "ministack", "probe_authorizer_context.py"))
	cmd.Env = append(os.Environ(), "PYTHONPATH=")
	if patched {
		dest := filepath.Join(t.TempDir(), "ministack-patched")
		if out, err := exec.Command(filepath.Join(root, "localstack", "ministack", "patch.sh"), venv, dest).CombinedOutput(); err != nil {
			t.Fatalf("patch.sh: %v\n%s", err, out)
		}
		cmd.Env = append(os.Environ(), "PYTHONPATH="+dest)
	}
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("probe: %v\n%s", err, stderr)
	}
	var got struct {
		Version string `json:"version"`
		Status  int    `json:"status"`
		Body    string `json:"body"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("probe output %q: %v", out, err)
	}
	return got.Status, got.Body, got.Version
}

// The patch makes the local stack answer an expired token as API Gateway
// does: the gateway response's $context.authorizer.message is the Deny
// context's message.
func TestAuthorizerContextPatchSubstitutes(t *testing.T) {
	status, body, version := probe(t, true)
	if status != 401 || body != `{"message":"Token expired"}` {
		t.Fatalf("patched MiniStack %s: got %d %s, want 401 {\"message\":\"Token expired\"}", version, status, body)
	}
}

// Upstream MiniStack still leaves $context.authorizer.* unsubstituted. When
// this fails, MiniStack fixed it: remove localstack/ministack/
// authorizer-context.patch and its row in docs/aws.md.
func TestAuthorizerContextStillNeedsThePatch(t *testing.T) {
	status, body, version := probe(t, false)
	switch body {
	case `{"message":"$context.authorizer.message"}`:
		t.Logf("MiniStack %s as installed: %d %s; the patch is still needed", version, status, body)
	case `{"message":"Token expired"}`:
		t.Fatalf("MiniStack %s now substitutes $context.authorizer.* itself: remove localstack/ministack/authorizer-context.patch "+
			"and its row in docs/aws.md", version)
	default:
		t.Fatalf("MiniStack %s as installed: got %d %s, want the template unsubstituted (or, once fixed upstream, the message)", version, status, body)
	}
}
