package e2e

import (
	"syscall"
	"testing"
	"time"

	"costbot/internal/awstest"
	"costbot/internal/storetest"
	"costbot/internal/tgtest"
)

// BenchmarkFailover is issue 15's failover figure: three `costbot run` replicas on one
// PostgreSQL database with the default LEADER_LEASE (15s); each round SIGKILLs the
// leader, sends /cost at once, and times the kill to the answer from the replica that
// took over; the killed one is replaced by a fresh follower. Reported: the mean and the
// worst round, in seconds.
//
//	COSTBOT_TEST_POSTGRES=postgres://costbot:costbot@127.0.0.1:5432/costbot \
//	  go test . -run '^$' -bench BenchmarkFailover -benchtime 5x -timeout 20m
func BenchmarkFailover(b *testing.B) {
	db := storetest.PostgresURL(b)
	tg := tgtest.New(b)
	ls := awstest.StartLightsail(b)
	env := replicaEnv(b, tg, db, ls.URL)
	rs := []*replica{startReplica(b, env), startReplica(b, env), startReplica(b, env)}
	var total, worst time.Duration
	rounds := 0
	for b.Loop() {
		lead := awaitLeader(b, rs, time.Now().Add(60*time.Second))
		// The leader polls: it answers.
		asked := time.Now()
		tg.SendMessage(4242, 4242, "/cost")
		costReply(b, tg, asked, 30*time.Second)

		lead.cmd.Process.Signal(syscall.SIGKILL)
		<-lead.exited
		killed := time.Now()
		tg.SendMessage(4242, 4242, "/cost")
		took := costReply(b, tg, killed, 60*time.Second).At.Sub(killed)
		total += took
		worst = max(worst, took)
		rounds++
		b.Logf("round %d: answered %.2f s after the kill", rounds, took.Seconds())

		for i, r := range rs {
			if r == lead {
				rs[i] = startReplica(b, env)
			}
		}
	}
	b.ReportMetric(total.Seconds()/float64(rounds), "s/failover")
	b.ReportMetric(worst.Seconds(), "s-worst")
	if n := tg.Conflicts(); n > rounds {
		b.Errorf("%d getUpdates conflicts in %d failovers: more than one poller at a time", n, rounds)
	}
}
