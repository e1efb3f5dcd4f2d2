package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"

	costaws "costbot/aws"
	"costbot/config"
	"costbot/internal/awstest"
)

// Accounts of the multi-account benchmark: each holds accountsBenchPerRegion EC2
// instances in each of the six default regions, created with the account's assumed
// credentials (moto keeps them in that account). Each instance is three resources (the
// instance, its root volume, its public IPv4): 21 resources per account and region.
const (
	accountsBenchAccounts    = 100
	accountsBenchPerRegion   = 7
	accountsBenchConcurrency = 8 // ACCOUNT_CONCURRENCY's default
)

// BenchmarkScanAccounts runs the built `costbot scan --json` over 100 accounts
// (AWS_ACCOUNTS = 100 role ARNs, ACCOUNT_CONCURRENCY=8) × 6 regions × 21 resources,
// behind the 50 ms proxy, and reports its wall time, the AWS calls it made (AssumeRole
// included), its peak resident set, and the wall time of one account scanned alone:
// the bound is one account's time × 100 ÷ 8, and the target is a wall time within twice
// the bound. cpu_s is costbot's own CPU time (user + system). Seeding 4,200 instances in
// moto takes minutes (once for both sub-benchmarks); the benchmark is skipped with -short.
//
// "moto" has moto answer every call: moto (one Python process) is then the bottleneck.
// "replay" first scans once through moto, one account and then the 100, recording each
// distinct request's answer (replayCache), and then measures with those answers replayed
// behind the same 50 ms: every call costs the latency and almost no emulator time.
//
//	go test ./bench -run '^$' -bench BenchmarkScanAccounts/replay -benchtime 1x -timeout 40m
//	go test ./bench -run '^$' -bench BenchmarkScanAccounts/moto -benchtime 1x -timeout 60m
func BenchmarkScanAccounts(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 4,200 instances in moto")
	}
	bin := filepath.Join(b.TempDir(), "costbot")
	buildCostbot(b, bin)
	moto := awstest.StartMoto(b)
	moto.Reset(b)
	ctx := context.Background()

	roles := make([]string, accountsBenchAccounts)
	for i := range roles {
		roles[i] = fmt.Sprintf("arn:aws:iam::%012d:role/CostbotReadOnly", 100000000000+i)
	}
	seedStart := time.Now()
	seedAccounts(b, ctx, moto, roles)
	b.Logf("seeded %d accounts × %d regions × %d instances in %s", len(roles), len(config.DefaultRegions), accountsBenchPerRegion, time.Since(seedStart).Round(time.Second))
	pricing := awstest.NewPricingServer(b, awstest.DefaultPricingCatalogue())

	b.Run("moto", func(b *testing.B) { benchmarkScanAccounts(b, bin, moto.URL, pricing.URL, roles, nil) })
	b.Run("replay", func(b *testing.B) {
		cache := newReplayCache(moto.URL)
		srv := httptest.NewServer(cache)
		b.Cleanup(srv.Close)
		benchmarkScanAccounts(b, bin, srv.URL, pricing.URL, roles, cache)
	})
}

// benchmarkScanAccounts scans one account and then every role's account through the
// 50 ms proxy in front of target. With a cache, both scans are first run once to record
// the answers, and the measured scans must be served from it alone.
func benchmarkScanAccounts(b *testing.B, bin, target, pricingURL string, roles []string, cache *replayCache) {
	proxy := awstest.NewFaultProxy(b, target)
	proxy.Latency = awsLatency
	endpoint := proxy.Start(b)
	scan := func(accounts []string) (wall time.Duration, calls int64, rssMB, cpu float64, resources int) {
		b.Helper()
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "COST_") && !strings.HasPrefix(kv, "TELEGRAM_") && !strings.HasPrefix(kv, "DB_PATH=") {
				env = append(env, kv)
			}
		}
		env = append(env, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
			"AWS_ENDPOINT_URL="+endpoint, "AWS_ENDPOINT_URL_PRICING="+pricingURL, "DB_PATH="+filepath.Join(b.TempDir(), "cost.db"),
			"COST_SERVICES=ec2,ebs,vpc", "AWS_ACCOUNTS="+strings.Join(accounts, ","),
			fmt.Sprintf("ACCOUNT_CONCURRENCY=%d", accountsBenchConcurrency))
		cmd := exec.Command(bin, "scan", "--json")
		cmd.Env = env
		out := &countingWriter{}
		tail := &tailWriter{max: 64 << 10}
		cmd.Stdout = io.MultiWriter(out, tail)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		before := proxy.Requests()
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("costbot scan: %v\n%s", err, stderr.String())
		}
		wall = time.Since(start)
		// The document ends with the tasks that failed; a scan missing resources names them.
		if _, errs, ok := bytes.Cut(tail.buf, []byte(`"errors":`)); ok && !bytes.HasPrefix(bytes.TrimSpace(errs), []byte("null")) && !bytes.HasPrefix(bytes.TrimSpace(errs), []byte("[]")) {
			b.Logf("scan of %d accounts reported errors: %.2000s", len(accounts), errs)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		return wall, proxy.Requests() - before, float64(ru.Maxrss) / 1024, cpu, out.resources
	}

	if cache != nil {
		recordStart := time.Now()
		scan(roles[:1])
		scan(roles)
		_, recordedCalls := cache.counts()
		b.Logf("recorded %d answers through moto in %s", recordedCalls, time.Since(recordStart).Round(time.Second))
	}
	b.ResetTimer()
	for b.Loop() {
		one, oneCalls, _, _, oneResources := scan(roles[:1])
		wall, calls, rss, cpu, resources := scan(roles)
		bound := time.Duration(float64(one) * float64(len(roles)) / accountsBenchConcurrency)
		b.ReportMetric(wall.Seconds(), "wall_s")
		b.ReportMetric(one.Seconds(), "one_account_s")
		b.ReportMetric(bound.Seconds(), "bound_s")
		b.ReportMetric(wall.Seconds()/bound.Seconds(), "wall/bound")
		b.ReportMetric(float64(calls), "aws_calls")
		b.ReportMetric(float64(oneCalls), "one_account_calls")
		b.ReportMetric(rss, "peak_rss_MB")
		b.ReportMetric(cpu, "cpu_s")
		b.ReportMetric(float64(resources), "resources")
		b.Logf("wall %s, one account %s (bound %s), %d AWS calls (one account %d), peak RSS %.1f MB, CPU %.1f s, %d resources",
			wall.Round(time.Millisecond), one.Round(time.Millisecond), bound.Round(time.Millisecond), calls, oneCalls, rss, cpu, resources)
		// countingWriter also counts the document's one price-source summary.
		if perAccount := oneResources - 1; perAccount <= 0 || resources-1 != len(roles)*perAccount {
			b.Errorf("scanned %d resources, one account %d: want every account's", resources-1, perAccount)
		}
		if cache != nil {
			hits, misses := cache.counts()
			b.ReportMetric(float64(misses), "moto_calls")
			b.Logf("replayed %d answers, %d calls went to moto", hits, misses)
			if misses > 0 {
				b.Errorf("%d calls missed the recorded answers: the figures include moto's time", misses)
			}
		}
	}
}

// seedAccounts starts accountsBenchPerRegion instances in every default region of each
// role's account, with the role's assumed credentials.
func seedAccounts(b *testing.B, ctx context.Context, moto *awstest.Moto, roles []string) {
	b.Helper()
	resolver := &costaws.AccountResolver{Base: moto.Config("us-east-1"), RoleARNs: roles}
	accounts, err := resolver.Resolve(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var g errgroup.Group
	g.SetLimit(4)
	for _, a := range accounts {
		for _, region := range config.DefaultRegions {
			g.Go(func() error {
				cfg := a.Config.Copy()
				cfg.Region = region
				_, err := ec2.NewFromConfig(cfg).RunInstances(ctx, &ec2.RunInstancesInput{ImageId: awssdk.String("ami-12c6146b"),
					InstanceType: ec2types.InstanceTypeT3Micro, MinCount: awssdk.Int32(accountsBenchPerRegion), MaxCount: awssdk.Int32(accountsBenchPerRegion)})
				if err != nil {
					return fmt.Errorf("seed %s %s: %w", a.ID, region, err)
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}
