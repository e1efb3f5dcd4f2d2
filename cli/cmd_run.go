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

	"github.com/prometheus/client_golang/prometheus"

	costaws "costbot/aws"
	"costbot/bot"
	"costbot/config"
	"costbot/jobs"
	"costbot/leader"
	"costbot/models"
	"costbot/web"
)

// cmdRun is the daemon: config, store, AWS, pricing, jobs, bot; then it waits for
// SIGINT/SIGTERM and shuts down in reverse order.
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
func wireDaemon(ctx context.Context, cfg *config.Config, store *models.Store, replica *replicaWiring, log *slog.Logger) (*wiredDaemon, error) {
	started := time.Now()
	awsCfg, err := costaws.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	if replica != nil {
		replica.fenceAWS(&awsCfg)
	}
	pricer := newPricer(cfg, store, awsCfg)
	resolver := newResolver(cfg, awsCfg)
	scanner := newScanner(cfg, resolver)

	sched, err := jobs.NewScheduler(store, nil, log)
	if err != nil {
		return nil, err
	}
	collector := jobs.NewCollector(store, scanner, pricer, nil, jobs.CollectorOptionsFrom(cfg, log))
	guard, reporter, err := wireLightsail(cfg, store, awsCfg, resolver, sched, nil, log)
	if err != nil {
		return nil, err
	}

	dash, err := web.New(web.Options{Config: cfg, Store: store, Schedule: sched, Version: buildVersion(), StartedAt: started, Logger: log})
	if err != nil {
		return nil, err
	}
	reg := bot.NewMetricsRegistry()
	deps := bot.Deps{Store: store, Version: buildVersion(), StartedAt: started, Logger: log, Metrics: reg,
		Collector: collector, Lightsail: guard, Reporter: reporter, Schedule: sched, Web: dash}
	if replica != nil {
		deps.Leader = replica
	}
	tg, err := bot.New(cfg, deps)
	if err != nil {
		return nil, err
	}
	dash.SetMembers(tg)
	// Jobs raise events; the bot renders them per chat and queues them in the outbox.
	collector.SetNotifier(tg)
	guard.SetNotifier(tg)
	reporter.SetNotifier(tg)
	if err := collector.Schedule(sched, cfg.CollectInterval); err != nil {
		return nil, err
	}
	if biller := newBiller(cfg, store, awsCfg, log); biller != nil {
		biller.SetNotifier(tg)
		if err := biller.Schedule(sched, cfg.CostExplorerInterval); err != nil {
			return nil, err
		}
	}
	var sender jobs.Sender = bot.NewSender(tg.API(), cfg.TelegramToken)
	if replica != nil {
		sender = replica.fenceSender(sender)
	}
	deliverer := jobs.NewDeliverer(store, sender, jobs.DelivererOptions{Logger: log})
	tg.OnQueued = deliverer.Notify
	guard.SetFlusher(deliverer) // the stop of costbot's own host is delivered before it lands
	if err := sched.Every("outbox", time.Minute, false, deliverer.Job); err != nil {
		return nil, err
	}
	return &wiredDaemon{cfg: cfg, log: log, sched: sched, deliverer: deliverer, tg: tg, dash: dash, reg: reg}, nil
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
