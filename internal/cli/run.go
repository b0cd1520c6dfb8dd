package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes of Run.
const (
	// ExitOK: the command did what was asked; check found nothing wrong.
	ExitOK = 0
	// ExitInvalid: check found a problem in a document, explain found no
	// route, or a state-table read failed.
	ExitInvalid = 1
	// ExitUsage: the command line is wrong (unknown command or flag, a
	// missing argument, a file that cannot be read).
	ExitUsage = 2
)

// Env is what a command may use of the world: its output streams, the
// environment, and the state table (for usage and keys).
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads an environment variable (os.Getenv in main).
	Getenv func(string) string
	// Table opens the state table, with the AWS SDK's default credentials
	// (and AWS_ENDPOINT_URL for an emulator). Nil means the default,
	// DynamoDB through internal/awsconfig.
	Table func(ctx context.Context) (TableAPI, error)
}

// errUsage marks an error of the command line: Run answers ExitUsage.
var errUsage = errors.New("usage")

// usageError wraps a message as a command-line error.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// errFound marks a problem the command found and already reported: Run
// answers ExitInvalid without printing it again.
var errFound = errors.New("problems found")

type command struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"check", "validate configuration documents offline, with the functions' own parsers", runCheck},
		{"explain", "say which route serves a request and why the others do not, and what applies to it", runExplain},
		{"openapi", "write an OpenAPI 3.1 document of the public API described by a route table", runOpenAPI},
		{"usage", "read the hourly usage counters of a deployed state table", runUsage},
		{"keys", "list the API keys of a deployed state table", runKeys},
	}
}

// Run runs the portico command with args (os.Args[1:]) and returns its exit
// code: ExitOK, ExitInvalid or ExitUsage.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return ExitOK
		case errors.Is(err, flag.ErrHelp):
			return ExitOK
		case errors.Is(err, errUsage):
			fmt.Fprintf(env.Stderr, "portico %s: %s\n", c.name, strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
			fmt.Fprintf(env.Stderr, "run 'portico %s -h' for its flags\n", c.name)
			return ExitUsage
		case errors.Is(err, errFound):
			return ExitInvalid
		default:
			fmt.Fprintf(env.Stderr, "portico %s: %s\n", c.name, err)
			return ExitInvalid
		}
	}
	fmt.Fprintf(env.Stderr, "portico: unknown command %q\n\n", args[0])
	printUsage(env.Stderr)
	return ExitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "portico: the configuration of a Portico gateway, from the command line")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: portico <command> [flags] [arguments]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'portico <command> -h' for a command's flags; docs/cli.md has examples.")
}

// newFlags returns a flag set that writes its help to env.Stderr and returns
// errors instead of exiting.
func newFlags(env Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("portico "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: portico %s %s\n\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args with fs, flags and positional arguments in any order
// (portico explain --routes r.json GET /x -H 'A: b'), and returns the
// positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %s", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ", ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
