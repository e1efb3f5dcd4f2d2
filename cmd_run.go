package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

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
	// One daemon per database: a second one would poll Telegram and run every job
	// beside the first.
	lease, err := holdDatabase(ctx, cfg.DBPath)
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

// holdDatabase checks that the database's folder is writable and takes the database's
// lease; either failure is one line for the operator.
func holdDatabase(ctx context.Context, dbPath string) (leader.Lease, error) {
	if err := models.CheckWritable(dbPath); err != nil {
		return nil, err
	}
	return leader.NewFileElector(dbPath).TryAcquire(ctx)
}

// newLogger logs text lines to w with every secret costbot knows redacted.
func newLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	secrets := []string{cfg.TelegramToken}
	for _, name := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if v := os.Getenv(name); v != "" {
			secrets = append(secrets, v)
		}
	}
	return slog.New(bot.NewRedactingHandler(slog.NewTextHandler(w, nil), secrets...))
}

func runDaemon(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	started := time.Now()
	store, err := models.Open(cfg.DBPath)
	if err != nil {
		return err
	}
	defer store.Close()

	awsCfg, err := costaws.LoadConfig(ctx)
	if err != nil {
		return err
	}
	pricer := newPricer(cfg, store, awsCfg)
	resolver := newResolver(cfg, awsCfg)
	scanner := newScanner(cfg, resolver)

	sched, err := jobs.NewScheduler(store, nil, log)
	if err != nil {
		return err
	}
	collector := jobs.NewCollector(store, scanner, pricer, nil, jobs.CollectorOptionsFrom(cfg, log))
	guard, reporter, err := wireLightsail(cfg, store, awsCfg, resolver, sched, nil, log)
	if err != nil {
		return err
	}

	dash, err := web.New(web.Options{Config: cfg, Store: store, Schedule: sched, Version: buildVersion(), StartedAt: started, Logger: log})
	if err != nil {
		return err
	}
	reg := bot.NewMetricsRegistry()
	tg, err := bot.New(cfg, bot.Deps{Store: store, Version: buildVersion(), StartedAt: started, Logger: log, Metrics: reg,
		Collector: collector, Lightsail: guard, Reporter: reporter, Schedule: sched, Web: dash})
	if err != nil {
		return err
	}
	dash.SetMembers(tg)
	// Jobs raise events; the bot renders them per chat and queues them in the outbox.
	collector.SetNotifier(tg)
	guard.SetNotifier(tg)
	reporter.SetNotifier(tg)
	if err := collector.Schedule(sched, cfg.CollectInterval); err != nil {
		return err
	}
	if biller := newBiller(cfg, store, awsCfg, log); biller != nil {
		biller.SetNotifier(tg)
		if err := biller.Schedule(sched, cfg.CostExplorerInterval); err != nil {
			return err
		}
	}
	deliverer := jobs.NewDeliverer(store, bot.NewSender(tg.API(), cfg.TelegramToken), jobs.DelivererOptions{Logger: log})
	tg.OnQueued = deliverer.Notify
	guard.SetFlusher(deliverer) // the stop of costbot's own host is delivered before it lands
	if err := sched.Every("outbox", time.Minute, false, deliverer.Job); err != nil {
		return err
	}

	mux := bot.NewHTTPHandler(tg.Health, reg)
	mux.Handle("/", dash) // the dashboard: every path but /healthz and /metrics
	httpSrv, err := startHTTP(cfg.HTTPAddr, mux, defaultHTTPLimits, log)
	if err != nil {
		return err
	}
	// A collection, a guard check or a read of the bill runs a lot of code once and then
	// nothing for ten minutes to twelve hours: give its pages back when it ends (see
	// trimMemory).
	sched.OnRunDone = func(job string, _ time.Time, _ error) {
		if job == jobs.CollectJob || job == jobs.GuardJob || job == jobs.ReportJob || job == jobs.BillingJob {
			if kB, err := trimMemory(); err != nil {
				log.Debug("memory trim", "job", job, "err", err)
			} else {
				log.Debug("memory trim", "job", job, "unmapped_kB", kB)
			}
		}
	}
	sched.Start()
	var background sync.WaitGroup
	background.Go(func() { deliverer.Run(ctx) })
	log.Info("costbot started", "version", buildVersion(), "chats", len(cfg.TelegramChatIDs), "regions", cfg.CostRegions)

	runErr := tg.Run(ctx) // returns once ctx is done and running handlers finished

	log.Info("costbot stopping")
	if httpSrv != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		httpSrv.Shutdown(shutdownCtx)
		cancel()
	}
	if err := sched.Shutdown(); err != nil {
		log.Warn("scheduler shutdown", "err", err)
	}
	background.Wait()
	return runErr
}
