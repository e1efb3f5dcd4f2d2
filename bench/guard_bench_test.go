package bench

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jonboulle/clockwork"

	"costbot/bot"
	"costbot/config"
	"costbot/internal/awstest"
	"costbot/jobs"
	"costbot/models"
)

// BenchmarkGuardCheck times one Guard.Check of 300 Lightsail instances, 20 in each of
// the 15 default Lightsail regions, through the Lightsail fake (100 items a page)
// behind 50 ms of latency per call. No instance is near its allowance.
//
//	go test ./bench -run '^$' -bench BenchmarkGuardCheck -benchtime 5x
func BenchmarkGuardCheck(b *testing.B) {
	ls := awstest.StartLightsail(b)
	ls.SetPageSize(100)
	regions := config.LightsailRegions
	for ri, region := range regions {
		ls.AddBundle(region, awstest.LightsailBundle{ID: "small_3_0", Price: 10, TransferGB: 2048})
		for i := range 300 / len(regions) {
			name := fmt.Sprintf("ls-%02d-%02d", ri, i)
			ls.AddInstance(region, awstest.LightsailInstance{Name: name, Bundle: "small_3_0", AllowanceGB: 2048})
			ls.SetTraffic(region, name, "NetworkIn", awstest.ConstantTraffic(1e6))
			ls.SetTraffic(region, name, "NetworkOut", awstest.ConstantTraffic(1e6))
		}
	}
	proxy := awstest.NewFaultProxy(b, ls.URL)
	proxy.Latency = awsLatency
	rec := &recorder{}
	srv := httptest.NewServer(rec.wrap(proxy))
	b.Cleanup(srv.Close)
	guard := newBenchGuard(b, nil, awstest.Config(srv.URL, "us-east-1"), nil)
	var worst time.Duration
	var each []time.Duration
	calls := proxy.Requests()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		counts, err := guard.Check(context.Background())
		each = append(each, time.Since(start).Round(time.Millisecond))
		worst = max(worst, each[len(each)-1])
		if err != nil {
			b.Fatalf("check: %v (%s)", err, counts)
		}
	}
	var inFake time.Duration
	calls2 := rec.take()
	for _, c := range calls2 {
		inFake += c.end.Sub(c.start) - awsLatency
	}
	b.Logf("each check: %v; time inside the Lightsail fake per call, latency aside: %v", each, (inFake / time.Duration(max(1, len(calls2)))).Round(time.Millisecond))
	b.ReportMetric(float64(proxy.Requests()-calls)/float64(b.N), "calls/check")
	b.ReportMetric(worst.Seconds(), "worst_s")
}

// newBenchGuard is a guard with the default settings but env, over its own database;
// it never asks the machine's instance metadata service.
func newBenchGuard(b *testing.B, env map[string]string, awsCfg awssdk.Config, clock clockwork.Clock) *jobs.Guard {
	b.Helper()
	cfg, err := config.Parse(func(k string) (string, bool) {
		if k == "LIGHTSAIL_SELF" {
			return "none", true
		}
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		b.Fatal(err)
	}
	store, err := models.Open(filepath.Join(b.TempDir(), "guard.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	notifier, err := bot.NewNotifier(cfg, store, nil, nil) // no chats: nothing is queued
	if err != nil {
		b.Fatal(err)
	}
	return jobs.NewGuard(cfg, store, awsCfg, notifier, nil, clock)
}
