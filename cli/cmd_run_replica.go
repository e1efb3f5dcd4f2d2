package cli

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"costbot/config"
	"costbot/jobs"
	"costbot/leader"
	"costbot/models"
)

// A replica is `costbot run` with DB_URL: any number of them share one PostgreSQL
// database. Every replica serves the dashboard, /healthz and /metrics from the start;
// the one holding the lease (leader.PostgresElector) also polls Telegram, runs the jobs
// and delivers the outbox. The others campaign for the lease and take over within
// LEADER_LEASE and one campaign round after the leader dies.
//
// A leader that loses its lease (it could not renew it: PostgreSQL unreachable for most
// of LEADER_LEASE) exits at once with status 1, and its supervisor (systemd's
// Restart=on-failure, Docker's restart policy) starts it again as a follower. Exiting,
// rather than stopping the leader's work and campaigning again in the same process,
// leaves nothing of the old term running beside the new leader: no handler still in an
// AWS call, no outbox pass, no pacing state; and everything in flight was already made
// to survive a crash (pending stop rows, the outbox, upserted cost hours).

// leaseName is the lease every replica of one database campaigns for.
const leaseName = "costbot"

// runReplica runs one replica until SIGTERM/SIGINT; it returns the exit status.
func runReplica(ctx context.Context, cfg *config.Config, log *slog.Logger) int {
	store, err := models.OpenDatabase(cfg.DBURL, cfg.DBPath)
	if err != nil {
		log.Error("costbot stopped", "err", err)
		return 1
	}
	defer store.Close()
	elector, err := leader.NewPostgresElector(ctx, cfg.DBURL, leaseName, cfg.LeaderLease)
	if err != nil {
		log.Error("costbot stopped", "err", err)
		return 1
	}
	defer elector.Close()
	elector.OnRenewError = func(err error) { log.Warn("the leader lease could not be renewed; retrying", "err", err) }

	r := &replicaWiring{elector: elector, log: log, exit: os.Exit}
	d, err := wireDaemon(ctx, cfg, store, r, log)
	if err != nil {
		log.Error("costbot stopped", "err", err)
		return 1
	}
	leading := prometheus.NewGauge(prometheus.GaugeOpts{Name: "costbot_leader",
		Help: "1 while this replica holds the leader lease: it polls Telegram and runs the jobs."})
	d.reg.MustRegister(leading)
	health := func(ctx context.Context) error {
		if r.lease.Load() != nil {
			return d.tg.Health(ctx)
		}
		return store.Ping(ctx) // a follower is healthy when it can reach the database
	}
	httpSrv, err := startHTTP(cfg.HTTPAddr, d.httpHandler(health), defaultHTTPLimits, log)
	if err != nil {
		log.Error("costbot stopped", "err", err)
		return 1
	}
	defer stopHTTP(httpSrv)

	log.Info("replica started; campaigning for the leader lease", "lease", cfg.LeaderLease)
	lease, err := leader.Campaign(ctx, elector, campaignEvery(cfg.LeaderLease), r.waiting())
	if err != nil {
		log.Info("costbot stopping (a follower)")
		return 0 // stopped while following
	}
	r.lease.Store(&lease)
	leading.Set(1)
	log.Info("this replica leads", "lease", cfg.LeaderLease)
	go func() {
		select {
		case <-lease.Lost():
			r.lost()
		case <-ctx.Done():
		}
	}()
	runErr := d.lead(ctx)
	// Hand over at once: a follower takes the lease at its next round, not after it expires.
	if err := lease.Release(); err != nil {
		log.Warn("the leader lease was not released; a follower takes over when it expires", "err", err)
	}
	if runErr != nil {
		log.Error("costbot stopped", "err", runErr)
		return 1
	}
	return 0
}

// campaignEvery is how often a follower tries for the lease: the takeover comes at most
// this long after the lease expires.
func campaignEvery(lease time.Duration) time.Duration {
	return min(max(lease/15, 100*time.Millisecond), time.Second)
}

// replicaWiring is what a replica adds to the daemon: who leads, for /status, and the
// fence that keeps a replica whose lease ran out from acting.
type replicaWiring struct {
	elector *leader.PostgresElector
	lease   atomic.Pointer[leader.Lease] // set once this replica leads
	log     *slog.Logger
	exit    func(code int)
}

// Leader is the lease's holder, for /status (bot.LeaderInfo).
func (r *replicaWiring) Leader(ctx context.Context) (string, int, time.Time, bool, error) {
	h, ok, err := r.elector.Current(ctx)
	return h.Host, h.PID, h.Since, ok, err
}

// waiting logs a follower's failed tries, once per leader and once per distinct error.
func (r *replicaWiring) waiting() func(error) {
	var last string
	return func(err error) {
		var held *leader.HeldError
		if errors.As(err, &held) {
			if said := "held " + held.Holder.Host + held.Holder.Since.String(); said != last {
				last = said
				r.log.Info("another replica leads; following", "host", held.Holder.Host, "pid", held.Holder.PID, "since", held.Holder.Since)
			}
			return
		}
		if said := err.Error(); said != last {
			last = said
			r.log.Warn("cannot campaign for the leader lease; retrying", "err", err)
		}
	}
}

// lost ends a leader whose lease ran out, before another replica can take the lease.
func (r *replicaWiring) lost() {
	r.log.Error("the leader lease was lost (PostgreSQL did not answer its renewals); exiting now so that the next leader works alone")
	r.exit(1)
}

// fence is checked right before this replica acts on the world (an AWS call, a push):
// a leader whose lease no longer holds by its own clock, say after the process was
// paused for longer than the lease, ends at once instead of acting beside the next
// leader. A follower has nothing running that acts.
func (r *replicaWiring) fence() {
	if l := r.lease.Load(); l != nil && !leader.Holds(*l) {
		r.lost()
	}
}

// fenceAWS checks the fence before every attempt of every AWS call made with cfg (and
// its copies): scans, the guard's reads, stops and starts, the bill.
func (r *replicaWiring) fenceAWS(cfg *awssdk.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("costbotLeaderFence",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				r.fence()
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

// fenceSender checks the fence before every push the outbox sends.
func (r *replicaWiring) fenceSender(s jobs.Sender) jobs.Sender { return fencedSender{next: s, r: r} }

type fencedSender struct {
	next jobs.Sender
	r    *replicaWiring
}

func (f fencedSender) Send(ctx context.Context, chatID int64, text, parseMode string) error {
	f.r.fence()
	return f.next.Send(ctx, chatID, text, parseMode)
}
