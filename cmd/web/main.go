// Command lumdesk is the lumdesk server and its operator commands.
//
//	lumdesk [serve]            run the dashboard and product APIs
//	lumdesk migrate up|down|status
//	lumdesk seed --demo | --scale N [--projects P] [--manifest FILE] [--accounts A] [--audit E] [--ledger L]
//	lumdesk staff create --email E --role R --password-stdin
//	lumdesk account create --name N --email E
//	lumdesk apikey create --product P (--account ID|EMAIL | --operator | --app APP_ID) [--scopes a,b] [--json]
//	lumdesk project create --account ID|EMAIL --name N [--reset-cooldown 24h] [--no-user-resets] [--ffa] [--json]
//	lumdesk plan set --account ID|EMAIL --max-users N --obfuscations N --reason R [--json] | show --account ID|EMAIL
//	lumdesk script create --project ID --name N [--json]
//	lumdesk billing adjust --account ID|EMAIL --amount 10.00 --reason R [--json] | verify
//	lumdesk lumora app create --account ID|EMAIL --name N [--from EMAIL] [--json]
//	lumdesk lumora domain add --account ID|EMAIL --domain D [--json] | verify --domain D [--json]
//	lumdesk lumira group add --account ID|EMAIL --group-id N [--roblox-key-stdin] [--ceiling R] [--discord-webhook URL] [--json]
//	lumdesk discord register-commands [--json]
//	lumdesk discord link-code --project ID | --group ROBLOX_GROUP_ID [--account ID|EMAIL] [--json]
//	lumdesk customer invite --account ID|EMAIL --email E --role R [--json]
//	lumdesk audit verify
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"lumdesk/internal/platform/procs"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands is the list of subcommands; each lives in its own cmd_*.go file.
func commands() []command {
	return []command{
		{"serve", "run the dashboard and the product APIs (default)", runServe},
		{"migrate", "apply (up), roll back (down) or list (status) database migrations", runMigrate},
		{"seed", "load demo data (--demo, idempotent)", runSeed},
		{"staff", "manage staff users: create", runStaff},
		{"account", "manage customer accounts: create", runAccount},
		{"apikey", "manage API keys: create", runAPIKey},
		{"project", "manage Luarmor projects: create", runProject},
		{"plan", "Luarmor plans of accounts: set, show", runPlan},
		{"script", "manage Luarmor scripts: create", runScript},
		{"billing", "Lumi balances: adjust, verify", runBilling},
		{"lumora", "Lumora set-up: app create, domain add, domain verify", runLumora},
		{"lumira", "Lumira set-up: group add (a Roblox group, or a sandbox group)", runLumira},
		{"discord", "the Discord bot: register-commands, link-code (link a server to a project or group)", runDiscord},
		{"customer", "customer portal users: invite", runCustomer},
		{"audit", "check the audit history: verify", runAudit},
	}
}

// usageError is a bad flag or value: one line on stderr, exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func main() {
	procs.Set()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 && (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
		printHelp(stdout)
		return 0
	}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == name {
			c := c
			cmd = &c
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "lumdesk: unknown command %q (try lumdesk help)\n", name)
		return 2
	}
	e, err := newEnv(stdin, stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "lumdesk: %v\n", err)
		return 2
	}
	err = cmd.run(ctx, e, args)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "lumdesk %s: %s\n", name, ue.msg)
		return 2
	default:
		fmt.Fprintf(stderr, "lumdesk %s: %v\n", name, err)
		return 1
	}
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "lumdesk: back-office and API server for Luarmor, Lumio, Lumi, Lumora and Lumira.")
	fmt.Fprintln(w, "\nUsage: lumdesk <command> [flags]   (each command has --help)")
	fmt.Fprintln(w, "\nCommands:")
	cs := commands()
	sort.SliceStable(cs, func(i, j int) bool { return i == 0 && j != 0 })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from environment variables; see the README.")
}

// newFlags makes a FlagSet whose errors come back as usage errors, with --help
// printing the usage and a summary.
func newFlags(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: lumdesk %s\n", usage)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses and turns flag errors into usage errors: one line that
// names the command's --help, without the usage block.
func parseFlags(fs *flag.FlagSet, args []string) error {
	// Parse itself calls Usage on -help and on every bad flag; silence it so
	// the usage prints once, and only when asked for.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return flag.ErrHelp
	case err != nil:
		return usagef("%v (see lumdesk %s --help)", err, fs.Name())
	case fs.NArg() > 0:
		return usagef("unexpected argument %q (see lumdesk %s --help)", fs.Arg(0), fs.Name())
	}
	return nil
}

// subcommand splits "create --x" into the verb and its args.
func subcommand(e *env, group string, args []string, verbs map[string]func([]string) error) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		names := make([]string, 0, len(verbs))
		for v := range verbs {
			names = append(names, v)
		}
		sort.Strings(names)
		if len(args) == 0 {
			return usagef("missing subcommand: lumdesk %s %s", group, strings.Join(names, "|"))
		}
		fmt.Fprintf(e.stdout, "Usage: lumdesk %s %s [flags]   (each has --help)\n", group, strings.Join(names, "|"))
		return flag.ErrHelp
	}
	fn, ok := verbs[args[0]]
	if !ok {
		return usagef("unknown subcommand %q", args[0])
	}
	return fn(args[1:])
}
