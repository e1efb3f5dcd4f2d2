package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	tgbot "github.com/go-telegram/bot"
	"github.com/prometheus/client_golang/prometheus"

	costaws "costbot/aws"
	"costbot/bot"
	"costbot/config"
	"costbot/jobs"
	"costbot/leader"
	"costbot/models"
	"costbot/pricing"
	"costbot/web"
)

// cmdRun is the daemon: config, store, outbox and notifier, AWS, pricing, jobs, bot and
// web; then it waits for SIGINT/SIGTERM and shuts down in reverse order.
func cmdRun(_ []string, _, stderr io.Writer) int {
	cfg, code := loadConfig(stderr)
	if cfg == nil {
		return code
	}
	if err := cfg.RequireTelegram(); err != nil {
		fmt.Fprintln(stderr, "costbot:", err)
		return 2
	}
	log := newLogger(stderr, cfg)
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.DBURL != "" {
		return runReplica(ctx, cfg, log)
	}
	// One daemon per database: a second one would poll Telegram and run every job
	// beside the first.
	lease, err := holdDatabase(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "costbot:", err)
		return 2
	}
	defer lease.Release()
	ctx, lost := context.WithCancel(ctx)
	defer lost()
	go func() {
		select {
		case <-lease.Lost():
			log.Error("the database lease was lost; stopping so that the new holder runs alone")
			lost()
		case <-ctx.Done():
		}
	}()
	if err := runDaemon(ctx, cfg, log); err != nil {
		log.Error("costbot stopped", "err", err)
		return 1
	}
	return 0
}

// holdDatabase checks that the SQLite database's folder is writable and takes the
// database's lease; either failure is one line for the operator. (With DB_URL the
// replicas elect their leader in PostgreSQL: runReplica.)
func holdDatabase(ctx context.Context, cfg *config.Config) (leader.Lease, error) {
	if err := models.CheckWritable(cfg.DBPath); err != nil {
		return nil, err
	}
	return leader.NewFileElector(cfg.DBPath).TryAcquire(ctx)
}

// newLogger logs text lines to w with every secret costbot knows redacted.
func newLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	secrets := []string{cfg.TelegramToken}
	secrets = append(secrets, dbURLSecrets(cfg.DBURL)...)
	for _, name := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if v := os.Getenv(name); v != "" {
			secrets = append(secrets, v)
		}
	}
	return slog.New(bot.NewRedactingHandler(slog.NewTextHandler(w, nil), secrets...))
}

// runDaemon is the one daemon on a SQLite database: it holds the file lease already, so
// it leads from the start.
func runDaemon(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	store, err := models.Open(cfg.DBPath)
	if err != nil {
		return err
	}
	defer store.Close()
	d, err := wireDaemon(ctx, cfg, store, nil, log)
	if err != nil {
		return err
	}
	httpSrv, err := startHTTP(cfg.HTTPAddr, d.httpHandler(d.tg.Health), defaultHTTPLimits, log)
	if err != nil {
		return err
	}
	defer stopHTTP(httpSrv)
	return d.lead(ctx)
}

// wiredDaemon is costbot wired: the store, the jobs on their scheduler, the outbox, the bot
// and the dashboard. Every replica wires it all; only the leader runs it (lead).
type wiredDaemon struct {
	cfg       *config.Config
	log       *slog.Logger
	sched     *jobs.Scheduler
	deliverer *jobs.Deliverer
	tg        *bot.Bot
	dash      *web.Server
	reg       *prometheus.Registry
}

// wireDaemon builds the daemon without starting anything: no job runs, nothing is sent
// and Telegram is not called until lead. replica is nil for the one daemon on SQLite;
// for a replica it tells /status who leads and fences AWS calls and pushes by the lease.
// Each part is built before what uses it, in this order: the outbox and the notifier,
// the AWS configuration and the pricer, the jobs, then the bot and the dashboard.
func wireDaemon(ctx context.Context, cfg *config.Config, store *models.Store, replica *replicaWiring, log *slog.Logger) (*wiredDaemon, error) {
	started := time.Now()
	out, err := wireOutbox(cfg, store, replica, log)
	if err != nil {
		return nil, err
	}
	awsCfg, err := costaws.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	if replica != nil {
		replica.fenceAWS(&awsCfg)
	}
	pricer := newPricer(cfg, store, awsCfg)
	js, err := wireJobs(cfg, store, awsCfg, pricer, out, log)
	if err != nil {
		return nil, err
	}
	d := &wiredDaemon{cfg: cfg, log: log, sched: js.sched, deliverer: out.deliverer}
	if err := d.wireFaces(store, js, out, replica, started); err != nil {
		return nil, err
	}
	return d, nil
}

// outbox is how a push leaves costbot: the notifier renders an event for each chat and
// queues it in the store, and the deliverer sends what is queued through api.
type outbox struct {
	api       *tgbot.Bot
	deliverer *jobs.Deliverer
	notifier  *bot.Notifier
}

// wireOutbox builds the outbox. A replica's sender sends only while it leads.
func wireOutbox(cfg *config.Config, store *models.Store, replica *replicaWiring, log *slog.Logger) (*outbox, error) {
	api, err := bot.NewAPI(cfg)
	if err != nil {
		return nil, err
	}
	var sender jobs.Sender = bot.NewSender(api, cfg.TelegramToken)
	if replica != nil {
		sender = replica.fenceSender(sender)
	}
	deliverer := jobs.NewDeliverer(store, sender, jobs.DelivererOptions{Logger: log})
	// A queued push wakes the deliverer at once rather than at its next tick.
	notifier, err := bot.NewNotifier(cfg, store, deliverer.Notify, log)
	if err != nil {
		return nil, err
	}
	return &outbox{api: api, deliverer: deliverer, notifier: notifier}, nil
}

// daemonJobs are the scheduled jobs the bot also answers from.
type daemonJobs struct {
	sched     *jobs.Scheduler
	collector *jobs.Collector
	guard     *jobs.Guard
	reporter  *jobs.Reporter
}

// wireJobs builds every job, pushing through the outbox, and schedules them: the
// Lightsail guard and the daily report, the collection, the bill, the outbox's delivery.
func wireJobs(cfg *config.Config, store *models.Store, awsCfg awssdk.Config, pricer *pricing.Pricer, out *outbox, log *slog.Logger) (*daemonJobs, error) {
	sched, err := jobs.NewScheduler(store, nil, log)
	if err != nil {
		return nil, err
	}
	resolver := newResolver(cfg, awsCfg)
	collector := jobs.NewCollector(store, newScanner(cfg, resolver), pricer, out.notifier, jobs.CollectorOptionsFrom(cfg, log))
	// The guard delivers the outbox before it stops costbot's own host.
	guard, reporter, err := wireLightsail(cfg, store, awsCfg, resolver, out.notifier, out.deliverer, sched, nil, log)
	if err != nil {
		return nil, err
	}
	if err := collector.Schedule(sched, cfg.CollectInterval); err != nil {
		return nil, err
	}
	if biller := newBiller(cfg, store, awsCfg, out.notifier, log); biller != nil {
		if err := biller.Schedule(sched, cfg.CostExplorerInterval); err != nil {
			return nil, err
		}
	}
	if err := sched.Every("outbox", time.Minute, false, out.deliverer.Job); err != nil {
		return nil, err
	}
	return &daemonJobs{sched: sched, collector: collector, guard: guard, reporter: reporter}, nil
}

// wireFaces builds the dashboard and the Telegram bot over the jobs. The dashboard asks
// Telegram through the outbox's client whether a Mini App user is in an allowed group.
func (d *wiredDaemon) wireFaces(store *models.Store, js *daemonJobs, out *outbox, replica *replicaWiring, started time.Time) error {
	dash, err := web.New(web.Options{Config: d.cfg, Store: store, Schedule: js.sched, Version: buildVersion(), StartedAt: started,
		Logger: d.log, Members: bot.NewMembers(d.cfg, out.api)})
	if err != nil {
		return err
	}
	reg := bot.NewMetricsRegistry()
	deps := bot.Deps{Store: store, Version: buildVersion(), StartedAt: started, Logger: d.log, Metrics: reg,
		Collector: js.collector, Lightsail: js.guard, Schedule: js.sched, Web: dash}
	if replica != nil {
		deps.Leader = replica
	}
	tg, err := bot.New(d.cfg, deps)
	if err != nil {
		return err
	}
	d.tg, d.dash, d.reg = tg, dash, reg
	return nil
}

// httpHandler serves /healthz (by health), /metrics and the dashboard.
func (d *wiredDaemon) httpHandler(health func(context.Context) error) http.Handler {
	mux := bot.NewHTTPHandler(health, d.reg)
	mux.Handle("/", d.dash) // the dashboard: every path but /healthz and /metrics
	return mux
}

// lead runs the jobs, the outbox and the Telegram poller until ctx ends, then stops
// them: the jobs at once (their runs are cancelled), the bot after its handlers finish.
func (d *wiredDaemon) lead(ctx context.Context) error {
	d.sched.Start()
	stopJobs := sync.OnceValue(d.sched.Shutdown)
	var background sync.WaitGroup
	background.Go(func() { d.deliverer.Run(ctx) })
	background.Go(func() {
		<-ctx.Done()
		if err := stopJobs(); err != nil {
			d.log.Warn("scheduler shutdown", "err", err)
		}
	})
	d.log.Info("costbot started", "version", buildVersion(), "chats", len(d.cfg.TelegramChatIDs), "regions", d.cfg.CostRegions)

	runErr := d.tg.Run(ctx) // returns once ctx is done and running handlers finished

	d.log.Info("costbot stopping")
	background.Wait()
	return runErr
}

// stopHTTP shuts the HTTP server down, letting requests finish for a few seconds.
func stopHTTP(srv *http.Server) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
}

// dbURLSecrets are what of DB_URL must not reach the log: the URL as written and its
// password.
func dbURLSecrets(dbURL string) []string {
	if dbURL == "" {
		return nil
	}
	secrets := []string{dbURL}
	if u, err := url.Parse(dbURL); err == nil && u.User != nil {
		if pass, ok := u.User.Password(); ok && pass != "" {
			secrets = append(secrets, pass)
		}
	}
	return secrets
}
