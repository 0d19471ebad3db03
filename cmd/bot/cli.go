package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/syncbot/syncbot/internal/app"
	"github.com/syncbot/syncbot/internal/config"
)

// Set by the release build (-ldflags "-X main.version=… -X main.commit=…",
// see the Dockerfile); otherwise read from the build info.
var (
	version string
	commit  string
)

// Exit codes: 2 is a usage or configuration mistake, 1 a failure at work.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// run is the whole command line: it reads args and the environment, and
// returns the exit code. Help, version and mistakes in the arguments are
// answered before the configuration is read, so they touch nothing.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	top := newFlagSet("syncbot")
	if code, done := parse(top, args, stdout, stderr, usage); done {
		return code
	}
	rest := top.Args()
	if len(rest) == 0 {
		return runBot(ctx, stderr)
	}
	switch cmd, rest := rest[0], rest[1:]; cmd {
	case "help":
		if len(rest) == 1 && rest[0] == "check" {
			checkUsage(stdout)
			return exitOK
		}
		if len(rest) > 0 {
			return usageError(stderr, usage, "help takes no argument but check (got %q)", strings.Join(rest, " "))
		}
		usage(stdout)
		return exitOK
	case "version":
		if len(rest) > 0 {
			return usageError(stderr, usage, "version takes no arguments (got %q)", strings.Join(rest, " "))
		}
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	case "check":
		return runCheck(ctx, rest, stdout, stderr)
	default:
		return usageError(stderr, usage, "unknown command %q", cmd)
	}
}

func runBot(ctx context.Context, stderr io.Writer) int {
	cfg, code := loadConfig(stderr)
	if code != exitOK {
		return code
	}
	log := app.NewLogger(stderr, cfg.LogFormat)
	log.Info("syncbot version", "version", versionLine())
	if err := app.Run(ctx, cfg, log, app.Options{}); err != nil {
		fmt.Fprintln(stderr, "syncbot:", err)
		return exitFailed
	}
	return exitOK
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("syncbot check")
	verbose := fs.Bool("v", false, "also print the logs (Admin API retries, Slack connection)")
	if code, done := parse(fs, args, stdout, stderr, checkUsage); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, checkUsage, "check takes no arguments (got %q)", strings.Join(fs.Args(), " "))
	}
	cfg, code := loadConfig(stderr)
	if code != exitOK {
		return code
	}
	// The table is the answer; retry and connection logs would bury it.
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = app.NewLogger(stderr, "text")
	}
	if err := app.Check(ctx, cfg, log, stdout); err != nil {
		fmt.Fprintln(stderr, "syncbot:", err)
		return exitFailed
	}
	return exitOK
}

// loadConfig reads the environment, printing every problem on its own line.
func loadConfig(stderr io.Writer) (config.Config, int) {
	cfg, err := config.Load()
	if err == nil {
		return cfg, exitOK
	}
	var p config.Problems
	if !errors.As(err, &p) {
		fmt.Fprintln(stderr, "syncbot:", err)
		return cfg, exitUsage
	}
	n := "1 problem"
	if len(p) > 1 {
		n = fmt.Sprintf("%d problems", len(p))
	}
	fmt.Fprintf(stderr, "syncbot: the configuration has %s:\n", n)
	for _, line := range p {
		fmt.Fprintln(stderr, "  "+line)
	}
	fmt.Fprintln(stderr, `Every variable, with its default: syncbot help. What each means: the README, "Configuration".`)
	return cfg, exitUsage
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Errors and help are printed by parse, to the right stream.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses flags: -h and --help print help to stdout (exit 0), any
// other mistake prints the error and the help to stderr (exit 2). done
// says whether the caller should return code.
func parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer, help func(io.Writer)) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, false
	case errors.Is(err, flag.ErrHelp):
		help(stdout)
		return exitOK, true
	default:
		return usageError(stderr, help, "%v", err), true
	}
}

func usageError(stderr io.Writer, help func(io.Writer), format string, a ...any) int {
	fmt.Fprintf(stderr, "syncbot: "+format+"\n\n", a...)
	help(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `syncbot: /sync in Slack pauses, resumes and, with a second person's
approval, terminates MongoDB Atlas Device Sync.

Usage:
  syncbot              run the bot; settings come from the environment
  syncbot check [-v]   check the settings, both Slack tokens, the Atlas key,
                       every app and the store, post nothing, print a table
                       (exit 1 if a check failed; -v: print the logs too)
  syncbot version      print the version, commit and Go version
  syncbot help         print this help (also -h, --help)

Environment (secrets are never printed):
`)
	if err := config.Usage(w); err != nil {
		fmt.Fprintln(w, "  (cannot list the variables:", err, ")")
	}
	fmt.Fprint(w, `
Docs: README.md in syncbot's source ("Configuration", "Install in Slack",
"Running it") and deploy/README.md (Kubernetes, docker compose).
`)
}

func checkUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: syncbot check [-v]

Checks a deployment without posting anything and prints one row per check:
the configuration, the Slack bot token (auth.test), the app token (Socket
Mode), user groups named in SYNC_APPROVERS/OPERATORS/BREAKGLASS, the Atlas
key, every app in SYNC_APPS, the store (SYNC_DATA_DIR or SYNC_DATABASE_URL)
and the HTTP address. It reads the same environment as the bot (syncbot help
lists it) and exits 1 if any check failed.

  -v   print the logs too (Admin API retries, Slack connection)
`)
}

// versionLine says which build this is: the release build sets version
// and commit; a go build from a git checkout knows its commit; anything
// else is "dev".
func versionLine() string {
	v, c, modified := version, commit, false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true" && commit == ""
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	} else if modified {
		c += " (modified)"
	}
	return fmt.Sprintf("syncbot %s, commit %s, %s %s/%s", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
