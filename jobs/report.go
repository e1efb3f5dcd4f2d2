package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/config"
	"costbot/figures"
	"costbot/models"
)

// ReportJob is the daily report's name in job_runs.
const ReportJob = "report"

// reportLateness is how late a scheduled report may still go out. The scheduler runs it
// at REPORT_TIME; a run later than this (a clock jump, a very slow start) is skipped
// rather than sent for a day that is over. costbot down at REPORT_TIME sends nothing for
// that day: a report the next morning would speak of the wrong day.
const reportLateness = 30 * time.Minute

// Reporter builds the daily report from the store: cost today (in REPORT_TZ) and this
// month (UTC), the month-end forecast, and every watched Lightsail instance's traffic as
// of the guard's latest check. It makes no AWS call.
type Reporter struct {
	cfg     *config.Config
	figures *figures.Reader
	clock   clockwork.Clock

	mu       sync.Mutex
	notifier Notifier
	log      *slog.Logger
}

// NewReporter builds the report job, which sends to notifier (required); clock nil is
// the real clock.
func NewReporter(cfg *config.Config, store figures.Store, notifier Notifier, clock clockwork.Clock) *Reporter {
	mustNotifier("NewReporter", notifier)
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Reporter{cfg: cfg, figures: figures.New(store, cfg), clock: clock, notifier: notifier, log: slog.Default()}
}

// SetLogger sets the reporter's logger.
func (r *Reporter) SetLogger(l *slog.Logger) {
	if l != nil {
		r.mu.Lock()
		r.log = l
		r.mu.Unlock()
	}
}

// Schedule adds the report to s: every day at REPORT_TIME in REPORT_TZ.
func (r *Reporter) Schedule(s *Scheduler) error {
	return s.DailyAt(ReportJob, r.cfg.ReportHour, r.cfg.ReportMin, r.cfg.ReportTZ, r.Send)
}

// Report builds the report as of now, dated today in REPORT_TZ (for /report and
// `costbot report`).
func (r *Reporter) Report(ctx context.Context) (models.Event, error) {
	now := r.clock.Now()
	return r.build(ctx, now, now.In(r.cfg.ReportTZ).Format(time.DateOnly))
}

// Send is the job body: it raises the report of the latest REPORT_TIME to every
// subscribed chat, keyed by that day's date in REPORT_TZ, so raising it again (a retry,
// a restart) queues nothing new. A run more than reportLateness after REPORT_TIME sends
// nothing.
func (r *Reporter) Send(ctx context.Context) (counts string, err error) {
	now := r.clock.Now()
	slot := lastReportSlot(now, r.cfg.ReportHour, r.cfg.ReportMin, r.cfg.ReportTZ)
	if late := now.Sub(slot); late > reportLateness {
		r.logger().Warn("daily report skipped: too late for its day", "due", slot, "late", late)
		return "sent=0 skipped=late", nil
	}
	date := slot.Format(time.DateOnly)
	sent := 0
	for _, scope := range reportScopes(r.cfg) {
		d, err := r.figures.Report(ctx, scope, now, date)
		if err != nil {
			return fmt.Sprintf("sent=%d", sent), err
		}
		if err := r.notifier.Notify(ctx, models.Event{Kind: models.EventReportDaily, Key: date, Data: d}); err != nil {
			return fmt.Sprintf("sent=%d", sent), fmt.Errorf("report %s: %w", date, err)
		}
		sent++
	}
	return fmt.Sprintf("sent=%d date=%s", sent, date), nil
}

// reportScopes are the scopes the daily report is built for: every account (nil), for the
// chats that see every account, and each distinct set of accounts TELEGRAM_CHAT_ACCOUNTS
// limits a chat to, so every chat gets the report of exactly its accounts.
func reportScopes(cfg *config.Config) []models.AccountScope {
	scopes := []models.AccountScope{nil}
	seen := map[string]bool{}
	for _, chat := range cfg.TelegramChatIDs {
		accts := cfg.ChatAccounts.Of(chat)
		if accts == nil {
			continue
		}
		accts = slices.Sorted(slices.Values(accts))
		key := strings.Join(accts, ",")
		if !seen[key] {
			seen[key] = true
			scopes = append(scopes, models.AccountScope(accts))
		}
	}
	return scopes
}

func (r *Reporter) logger() *slog.Logger {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log
}

// lastReportSlot is the latest hour:minute in loc at or before now.
func lastReportSlot(now time.Time, hour, minute int, loc *time.Location) time.Time {
	local := now.In(loc)
	slot := time.Date(local.Year(), local.Month(), local.Day(), hour, minute, 0, 0, loc)
	if slot.After(local) {
		y, m, d := local.AddDate(0, 0, -1).Date()
		slot = time.Date(y, m, d, hour, minute, 0, 0, loc)
	}
	return slot
}

// build is the report of every account as of now, dated date: the read model's report,
// the same figures /report, /cost and the dashboard show.
func (r *Reporter) build(ctx context.Context, now time.Time, date string) (models.Event, error) {
	d, err := r.figures.Report(ctx, nil, now, date)
	if err != nil {
		return models.Event{}, err
	}
	return models.Event{Kind: models.EventReportDaily, Key: date, Data: d}, nil
}
