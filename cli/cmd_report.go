package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/jonboulle/clockwork"

	"costbot/bot"
	"costbot/config"
	"costbot/jobs"
	"costbot/models"
)

func cmdReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "", "zh or en (default BOT_LANG)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, code := loadConfig(stderr)
	if cfg == nil {
		return code
	}
	if *lang == "" {
		*lang = cfg.Lang
	}
	if *lang != "zh" && *lang != "en" {
		fmt.Fprintf(stderr, "costbot: --lang: expected zh or en, got %q\n", *lang)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return printReport(ctx, cfg, nil, *lang, stdout, stderr)
}

// printReport prints the daily report as of now, as plain text, from the store alone.
func printReport(ctx context.Context, cfg *config.Config, clock clockwork.Clock, lang string, stdout, stderr io.Writer) int {
	store, err := models.OpenDatabase(cfg.DBURL, cfg.DBPath)
	if err != nil {
		fmt.Fprintln(stderr, "costbot:", err)
		return 1
	}
	defer store.Close()
	// Report builds the event without sending it; the notifier is there for Send alone.
	ev, err := jobs.NewReporter(cfg, store, &printingNotifier{lang: lang}, clock).Report(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "costbot:", err)
		return 1
	}
	text, err := bot.RenderPlain(lang, ev)
	if err != nil {
		fmt.Fprintln(stderr, "costbot:", err)
		return 1
	}
	fmt.Fprintln(stdout, text)
	return 0
}
