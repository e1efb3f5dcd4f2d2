package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jonboulle/clockwork"

	costaws "costbot/aws"
	"costbot/bot"
	"costbot/config"
	"costbot/jobs"
	"costbot/models"
)

// wireLightsail builds the Lightsail guard and the daily report, both pushing to n, and
// schedules both on sched: the guard every LIGHTSAIL_CHECK_INTERVAL (and once at start),
// the report at REPORT_TIME in REPORT_TZ. flusher delivers the outbox before the guard
// stops costbot's own host. clock nil is the real clock.
func wireLightsail(cfg *config.Config, store *models.Store, awsCfg awssdk.Config, resolver *costaws.AccountResolver,
	n jobs.Notifier, flusher jobs.OutboxFlusher, sched *jobs.Scheduler, clock clockwork.Clock, log *slog.Logger) (*jobs.Guard, *jobs.Reporter, error) {
	guard := newGuard(cfg, store, awsCfg, n, flusher, clock, resolver)
	guard.SetLogger(log)
	reporter := jobs.NewReporter(cfg, store, n, clock)
	reporter.SetLogger(log)
	if err := guard.Schedule(sched); err != nil {
		return nil, nil, err
	}
	if err := reporter.Schedule(sched); err != nil {
		return nil, nil, err
	}
	return guard, reporter, nil
}

// lightsailDocument is what `costbot lightsail --json` prints.
type lightsailDocument struct {
	CheckedAt   time.Time              `json:"checked_at"`
	StopPercent float64                `json:"stop_percent"`
	DryRun      bool                   `json:"dry_run"`
	Instances   []lightsailInstanceRow `json:"instances"`
	Errors      []lightsailRegionError `json:"errors"`
	Enforced    *lightsailEnforcement  `json:"enforced,omitempty"`
}

type lightsailInstanceRow struct {
	Account         string  `json:"account,omitempty"`
	Region          string  `json:"region"`
	Name            string  `json:"name"`
	State           string  `json:"state"`
	UsedGB          float64 `json:"used_gb"`
	AllowanceGB     float64 `json:"allowance_gb"`
	FullAllowanceGB float64 `json:"full_allowance_gb"`
	Percent         float64 `json:"percent"`
	Prorated        bool    `json:"prorated"`
	CarriedGB       float64 `json:"carried_gb"`
	OverageGB       float64 `json:"overage_gb"`
	Blind           bool    `json:"blind,omitempty"`
	SelfHost        bool    `json:"self_host,omitempty"`
	Error           string  `json:"error,omitempty"`
}

type lightsailRegionError struct {
	Account string `json:"account,omitempty"`
	Region  string `json:"region"`
	Error   string `json:"error"`
}

type lightsailEnforcement struct {
	Counts string   `json:"counts"`
	Error  string   `json:"error,omitempty"`
	Pushes []string `json:"pushes"`
}

func cmdLightsail(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lightsail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON document")
	enforce := fs.Bool("enforce", false, "apply the guard's rules once: warn, stop, start as the daemon would, and record it")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, code := loadConfig(stderr)
	if cfg == nil {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	awsCfg, err := costaws.LoadConfig(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "costbot:", err)
		return 1
	}
	return runLightsail(ctx, cfg, awsCfg, nil, *asJSON, *enforce, stdout, stderr)
}

// runLightsail measures (or with enforce, checks) once and prints the result. Measuring
// needs only the AWS settings; enforcing also opens the database, records what it did
// like the daemon, and queues its pushes for the daemon to deliver when the Telegram
// settings are there.
func runLightsail(ctx context.Context, cfg *config.Config, awsCfg awssdk.Config, clock clockwork.Clock, asJSON, enforce bool, stdout, stderr io.Writer) int {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	doc := lightsailDocument{CheckedAt: clock.Now().UTC().Truncate(time.Second), StopPercent: cfg.LightsailStopPercent,
		DryRun: cfg.LightsailDryRun, Instances: []lightsailInstanceRow{}, Errors: []lightsailRegionError{}}
	failed := false
	if !enforce {
		// Measuring records nothing and pushes nothing: the notifier only stands ready.
		n := &printingNotifier{lang: cfg.Lang}
		traffic, regionErrs := newGuard(cfg, nil, awsCfg, n, nil, clock, newResolver(cfg, awsCfg)).Measure(ctx)
		for _, t := range traffic {
			doc.Instances = append(doc.Instances, toInstanceRow(t))
			failed = failed || t.Error != ""
		}
		for _, e := range regionErrs {
			doc.Errors = append(doc.Errors, lightsailRegionError{Account: e.Account, Region: e.Region, Error: e.Err.Error()})
		}
		failed = failed || len(regionErrs) > 0
	} else {
		store, err := models.OpenDatabase(cfg.DBURL, cfg.DBPath)
		if err != nil {
			fmt.Fprintln(stderr, "costbot:", err)
			return 1
		}
		defer store.Close()
		n := &printingNotifier{lang: cfg.Lang}
		if cfg.RequireTelegram() == nil {
			queue, err := bot.NewNotifier(cfg, store, nil, nil)
			if err != nil {
				fmt.Fprintln(stderr, "costbot:", err)
				return 1
			}
			n.next = queue
		} else {
			fmt.Fprintln(stderr, "costbot: no Telegram settings: what the guard pushes is only printed here")
		}
		// No outbox runs here: the daemon delivers what is queued, so a stop of the host
		// costbot runs on fails rather than go unannounced.
		guard := newGuard(cfg, store, awsCfg, n, nil, clock, newResolver(cfg, awsCfg))
		counts, checkErr := guard.Check(ctx)
		doc.Enforced = &lightsailEnforcement{Counts: counts, Pushes: n.printed()}
		if checkErr != nil {
			doc.Enforced.Error = checkErr.Error()
			failed = true
		}
		rows, err := store.LatestLightsailUsage(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "costbot:", err)
			return 1
		}
		for _, u := range rows {
			if cfg.Watches(u.Instance) {
				doc.Instances = append(doc.Instances, toInstanceRow(u.Traffic()))
			}
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintln(stderr, "costbot:", err)
			return 1
		}
	} else {
		printLightsail(stdout, doc)
	}
	if failed {
		return 1
	}
	return 0
}

func toInstanceRow(t models.LightsailTraffic) lightsailInstanceRow {
	return lightsailInstanceRow{
		Account: t.AccountID, Region: t.Region, Name: t.Instance, State: t.State, UsedGB: t.UsedBytes / models.GB,
		AllowanceGB: t.AllowanceBytes / models.GB, FullAllowanceGB: t.FullAllowanceBytes / models.GB,
		Percent: t.Percent, Prorated: t.Prorated(), CarriedGB: t.CarriedBytes / models.GB, Error: t.Error,
		OverageGB: t.OverageBytes() / models.GB, Blind: t.Blind, SelfHost: t.SelfHost,
	}
}

func printLightsail(w io.Writer, doc lightsailDocument) {
	mode := ""
	if doc.DryRun {
		mode = " (dry run)"
	}
	fmt.Fprintf(w, "Lightsail traffic at %s, stop at %g%%%s\n", doc.CheckedAt.Format(time.RFC3339), doc.StopPercent, mode)
	if e := doc.Enforced; e != nil {
		fmt.Fprintf(w, "Enforced once: %s\n", e.Counts)
		for _, p := range e.Pushes {
			fmt.Fprintf(w, "\n%s\n", p)
		}
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tNAME\tSTATE\tUSED GB\tALLOWANCE GB\tPERCENT\tNOTE")
	for _, r := range doc.Instances {
		note := ""
		if r.Prorated {
			note = fmt.Sprintf("prorated from %.0f GB", r.FullAllowanceGB)
		}
		if r.CarriedGB > 0 {
			note += fmt.Sprintf(" includes %.2f GB of deleted instances of the plan", r.CarriedGB)
		}
		if r.Blind {
			note += " BLIND (no recent traffic data)"
		}
		if r.SelfHost {
			note += " costbot runs here"
		}
		if r.Error != "" {
			note = "error: " + r.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.2f\t%.1f%%\t%s\n", r.Region, r.Name, r.State, r.UsedGB, r.AllowanceGB, r.Percent, note)
	}
	tw.Flush()
	for _, e := range doc.Errors {
		fmt.Fprintf(w, "region %s failed: %s\n", e.Region, e.Error)
	}
	if e := doc.Enforced; e != nil && e.Error != "" {
		fmt.Fprintf(w, "errors: %s\n", e.Error)
	}
}

// printingNotifier keeps every push as plain text for the terminal and hands it on to
// the outbox (next) when there are Telegram settings.
type printingNotifier struct {
	lang string
	next jobs.Notifier

	mu   sync.Mutex
	text []string
}

func (n *printingNotifier) Notify(ctx context.Context, ev models.Event) error {
	if n.next != nil {
		if err := n.next.Notify(ctx, ev); err != nil {
			return err
		}
	}
	text, err := bot.RenderPlain(n.lang, ev)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.text = append(n.text, text)
	n.mu.Unlock()
	return nil
}

func (n *printingNotifier) printed() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string{}, n.text...)
}
