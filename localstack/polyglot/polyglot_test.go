package polyglot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	dir, err := Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		exec     bool
		contains string
	}{
		{"bootstrap", true, "/2018-06-01/runtime"},
		{"function.py", false, "def handle(event, context)"},
		{"order.py", false, "http://payment/charges"},
		{"payment.js", false, "x-portico-caller"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode()&0o111 != 0; got != tt.exec {
				t.Fatalf("got executable %v, want %v", got, tt.exec)
			}
			b, _ := os.ReadFile(p)
			if !strings.Contains(string(b), tt.contains) {
				t.Fatalf("got no %q in %s", tt.contains, tt.name)
			}
		})
	}
}

// A process's output is kept; Stop ends its whole group with SIGTERM and
// counts that as a clean stop.
func TestProcessStop(t *testing.T) {
	p, err := Start("sh", []string{"-c", `echo "started $GREETING"; sleep 30 & wait`}, map[string]string{"GREETING": "hello"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.Output(), "started hello") {
		if time.Now().After(deadline) {
			t.Fatalf("got output %q, want the greeting", p.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.Stop(5 * time.Second); err != nil {
		t.Fatalf("got %v, want a clean stop", err)
	}
	if !p.Exited() {
		t.Fatal("got a running process after Stop")
	}
}

// WaitPort gives up when the process exits, saying what it wrote.
func TestWaitPortProcessExited(t *testing.T) {
	p, err := Start("sh", []string{"-c", "echo boom; exit 3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := FreeAddr()
	err = p.WaitPort(addr, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v, want an error naming the exit and the output", err)
	}
}
