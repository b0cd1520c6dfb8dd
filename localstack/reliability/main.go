package reliability

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Options are the command's flags.
type Options struct {
	Out, Simulation string
	Rate            float64
	Soak            time.Duration
	Rows            []string
	Smoke           time.Duration
	Root            string
	Emulator        string
	// Warm is the healthy load before each row's fault (default 20 s);
	// Scale multiplies the rows' windows (default 1); NoLeaks skips the
	// goroutine and heap comparison (it waits for the instances' next
	// runtime samples): the quick version in make test sets all three.
	Warm    time.Duration
	Scale   float64
	NoLeaks bool
}

// RunRows runs the matrix rows named ids against s, with the load of o, and
// returns what each measured.
func RunRows(ctx context.Context, s *Stack, o Options, ids []string, out io.Writer) ([]RowResult, error) {
	h, err := newHarness(s, o, out)
	if err != nil {
		return nil, err
	}
	var rows []RowResult
	for _, id := range ids {
		row, ok := rowByID(id)
		if !ok {
			return rows, fmt.Errorf("reliability: no row %q", id)
		}
		rows = append(rows, h.runRow(ctx, row))
	}
	return rows, ctx.Err()
}

// Main runs the command reliability with args; getenv reads the environment.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("reliability", flag.ContinueOnError)
	var o Options
	var rows string
	fs.StringVar(&o.Out, "out", "RELIABILITY.md", "the report to write")
	fs.StringVar(&o.Simulation, "simulation", "", "the simulations' section to include (go test ./internal/sim -run '^TestReport$' -args -sim.report FILE)")
	fs.Float64Var(&o.Rate, "rate", 12, "requests per second of the load")
	fs.DurationVar(&o.Soak, "soak", 0, "how long the soak runs (0: no soak)")
	fs.StringVar(&rows, "rows", "", "comma-separated matrix rows to run (default all; none: -rows none)")
	fs.DurationVar(&o.Smoke, "smoke", 0, "only send the load to the healthy stack for this long, print the answers and stop")
	fs.StringVar(&o.Root, "root", "terraform/reliability", "the Terraform root of the stack")
	fs.StringVar(&o.Emulator, "emulator", "the local emulator", "the emulator and its version, for the report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if rows != "" {
		o.Rows = strings.Split(rows, ",")
	}
	cfg, err := ConfigFromEnv(getenv, o.Root)
	if err != nil {
		return err
	}
	for _, name := range o.Rows {
		if name != "none" && !slices.ContainsFunc(Matrix, func(r Row) bool { return r.ID == name }) {
			return fmt.Errorf("-rows: no row %q", name)
		}
	}
	fmt.Fprintf(stdout, "reliability: bringing up the stack on %s\n", cfg.Endpoint)
	started := time.Now()
	s, err := Up(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "reliability: stack %s at %s (%s)\n", cfg.Name, s.URL, time.Since(started).Round(time.Second))
	h, err := newHarness(s, o, stdout)
	if err != nil {
		return err
	}
	if o.Smoke > 0 {
		return h.smoke(ctx)
	}
	return h.run(ctx)
}

// ConfigFromEnv reads a Config from the environment the end-to-end tests
// share (PORTICO_ENDPOINT and the rest); root is terraform/reliability.
func ConfigFromEnv(getenv func(string) string, root string) (Config, error) {
	c := Config{
		Endpoint: getenv("PORTICO_ENDPOINT"), CACert: getenv("PORTICO_CA_CERT"), Terraform: getenv("PORTICO_TERRAFORM"),
		AuthorizerZip: getenv("PORTICO_AUTHORIZER_ZIP"), AggregatorZip: getenv("PORTICO_AGGREGATOR_ZIP"),
		Architecture: getenv("PORTICO_LAMBDA_ARCH"), Bind: getenv("PORTICO_BACKEND_BIND"), Host: getenv("PORTICO_BACKEND_HOST"),
		Root: root, Name: "rel" + fmt.Sprint(time.Now().Unix()%100000),
	}
	var missing []string
	for name, v := range map[string]string{"PORTICO_ENDPOINT": c.Endpoint, "PORTICO_TERRAFORM": c.Terraform,
		"PORTICO_AUTHORIZER_ZIP": c.AuthorizerZip, "PORTICO_AGGREGATOR_ZIP": c.AggregatorZip, "TF_CLI_CONFIG_FILE": getenv("TF_CLI_CONFIG_FILE")} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return c, fmt.Errorf("%s not set (run make reliability)", strings.Join(missing, ", "))
	}
	if c.Bind == "" {
		c.Bind = "127.0.0.1"
	}
	if c.Host == "" {
		c.Host = c.Bind
	}
	if c.Architecture == "" {
		c.Architecture = "x86_64"
	}
	if _, err := os.Stat(root); err != nil {
		return c, errors.New("the Terraform root " + root + " is missing: run from the repository's root")
	}
	return c, nil
}
