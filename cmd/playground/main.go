// Command playground runs the real syncbot against the in-repo fake Slack
// and fake Atlas Admin API, and serves a page that looks and behaves like a
// Slack channel: try every /sync command in a browser, with no Slack
// workspace and no Atlas key.
//
//	go run ./cmd/playground            # prints http://127.0.0.1:PORT
//	go run ./cmd/playground -open      # and opens it in the browser
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/syncbot/syncbot/internal/playground"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("playground", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "where the page listens (host:port; port 0 picks a free one)")
	open := fs.Bool("open", false, "open the page in the default browser")
	verbose := fs.Bool("v", false, "print the bot's log here instead of to a file")
	if err := fs.Parse(args); err != nil {
		return 2
	}

	var logw io.Writer
	logNote := ""
	if *verbose {
		logw = stderr
	} else {
		f, err := os.CreateTemp("", "syncbot-playground-*.log")
		if err != nil {
			fmt.Fprintln(stderr, "playground: cannot make a log file:", err)
			return 1
		}
		defer f.Close()
		logw, logNote = f, f.Name()
	}

	p, err := playground.Start(ctx, playground.Options{Addr: *addr, Log: logw})
	if err != nil {
		fmt.Fprintln(stderr, "playground:", err)
		return 1
	}
	fmt.Fprintf(stdout, "syncbot playground: %s\n", p.URL())
	fmt.Fprintf(stdout, "  the bot's /healthz, /readyz and /metrics: http://%s\n", p.OpsAddr())
	if logNote != "" {
		fmt.Fprintf(stdout, "  the bot's log: %s (-v prints it here)\n", logNote)
	}
	fmt.Fprintln(stdout, "  Ctrl-C stops it.")
	if *open {
		if err := openBrowser(p.URL()); err != nil {
			fmt.Fprintln(stderr, "playground: could not open a browser:", err)
		}
	}

	code := 0
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "stopping…")
	case <-p.BotDone():
		fmt.Fprintln(stderr, "playground: the bot stopped:", p.BotErr())
		code = 1
	}
	if err := p.Close(); err != nil {
		fmt.Fprintln(stderr, "playground:", err)
		code = 1
	}
	return code
}

func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
