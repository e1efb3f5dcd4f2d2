// Package cli holds the costbot daemon and every subcommand: it parses the command line,
// reads the settings and wires the packages together (config, store, AWS, pricing, jobs,
// bot and web). It is the only package that knows every other.
package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"costbot/config"
)

// version is set at build time with -ldflags "-X costbot/cli.version=v1.2.3".
var version = ""

// command is one subcommand of the costbot binary.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run the bot daemon (the default)", cmdRun},
		{"scan", "scan the AWS account once and print resources and costs (--json for JSON)", cmdScan},
		{"clear-cache", "empty the price cache so the next scan asks the Pricing API again", cmdClearCache},
		{"lightsail", "show Lightsail traffic against each allowance (--json); --enforce applies the guard's rules once", cmdLightsail},
		{"report", "print the daily report now, as plain text (--lang zh|en)", cmdReport},
		{"doctor", "check the configuration, Telegram, the database and AWS", cmdDoctor},
		{"version", "print the version", cmdVersion},
		{"healthcheck", "ask the running daemon's /healthz (for Docker HEALTHCHECK)", cmdHealthcheck},
	}
}

// Main runs the subcommand named by args[0] ("run" when there is none) and returns the
// process exit code: 0 success, 1 failure, 2 bad usage or configuration.
func Main(args []string, stdout, stderr io.Writer) int {
	name := "run"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	switch name {
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(args, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "costbot: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: costbot [command] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Settings come from the environment (and a .env file); see README.md.")
}

func cmdVersion(_ []string, stdout, _ io.Writer) int {
	fmt.Fprintln(stdout, "costbot", buildVersion())
	return 0
}

// buildVersion is the -ldflags version, else the module version or VCS revision.
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

// loadConfig reads the settings; on a bad one it prints the one-line reason and returns
// exit code 2.
func loadConfig(stderr io.Writer) (*config.Config, int) {
	cfg, err := config.Load()
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			fmt.Fprintln(stderr, "costbot:", ce.Error())
		} else {
			fmt.Fprintln(stderr, "costbot:", err)
		}
		return nil, 2
	}
	for _, note := range cfg.EnvFile.Notes() {
		fmt.Fprintln(stderr, "costbot:", note)
	}
	return cfg, 0
}
