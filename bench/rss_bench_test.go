package bench

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"costbot/internal/awstest"
)

// BenchmarkScanPeakRSS runs the built `costbot scan --json` against the seeded account
// (about 2,000 resources over the six default regions, no added latency) and reports the
// process's peak resident set (getrusage ru_maxrss).
//
//	go test ./bench -run '^$' -bench BenchmarkScanPeakRSS -benchtime 1x -timeout 30m
func BenchmarkScanPeakRSS(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "costbot")
	build := exec.Command("go", "build", "-o", bin, "costbot")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
	moto := awstest.StartMoto(b)
	moto.Reset(b)
	ls := awstest.StartLightsail(b)
	ls.SetPageSize(100)
	q := awstest.StartQBusiness(b)
	seedScanAccount(b, moto, ls, q, defaultScanSeed)
	pricing := awstest.NewPricingServer(b, awstest.DefaultPricingCatalogue())
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "COST_") && !strings.HasPrefix(kv, "TELEGRAM_") && !strings.HasPrefix(kv, "DB_PATH=") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL="+moto.URL, "AWS_ENDPOINT_URL_LIGHTSAIL="+ls.URL, "AWS_ENDPOINT_URL_QBUSINESS="+q.URL,
		"AWS_ENDPOINT_URL_PRICING="+pricing.URL, "DB_PATH="+filepath.Join(b.TempDir(), "cost.db"))
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, "scan", "--json")
		cmd.Env = env
		cmd.Stdout = io.Discard
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("costbot scan: %v\n%s", err, stderr.String())
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak_rss_MB")
	}
}
