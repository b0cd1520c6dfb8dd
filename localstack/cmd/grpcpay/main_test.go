package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-gw/portico/localstack/grpcpay"
)

func TestRunWritesDescriptors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "payments.binpb")
	if err := run(context.Background(), []string{"-write-descriptors", out}, new(bytes.Buffer)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, grpcpay.DescriptorSet()) {
		t.Fatal("got a file different from the embedded descriptor set, want the same bytes")
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-port", "0"}, pw); pw.Close() }()
	line := make([]byte, 128)
	n, err := pr.Read(line)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(line[:n]), "grpcpay listening on 127.0.0.1:") {
		t.Fatalf("got %q, want the listening address", line[:n])
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("got error %v, want none after cancellation", err)
	}
}
