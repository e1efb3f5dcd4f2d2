package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"costbot/internal/awstest"
)

// BenchmarkScanPeakRSS runs the built `costbot scan --json` against a seeded account (no
// added latency) and reports the process's peak resident set (getrusage ru_maxrss):
// "resources=2000" is the scan benchmark's account (about 2,200 resources over the six
// default regions), "resources=10000" the memory target's (about 10,000; seeding it
// takes a few minutes of moto).
//
//	go test ./bench -run '^$' -bench BenchmarkScanPeakRSS -benchtime 1x -timeout 30m
func BenchmarkScanPeakRSS(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "costbot")
	buildCostbot(b, bin)
	b.Run("resources=2000", func(b *testing.B) { benchmarkScanPeakRSS(b, bin, defaultScanSeed) })
	b.Run("resources=10000", func(b *testing.B) { benchmarkScanPeakRSS(b, bin, largeScanSeed) })
}

func benchmarkScanPeakRSS(b *testing.B, bin string, seed scanSeed) {
	moto := awstest.StartMoto(b)
	moto.Reset(b)
	ls := awstest.StartLightsail(b)
	ls.SetPageSize(100)
	q := awstest.StartQBusiness(b)
	seedScanAccount(b, moto, ls, q, seed)
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
		out := &countingWriter{}
		cmd.Stdout = out
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("costbot scan: %v\n%s", err, stderr.String())
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak_rss_MB")
		b.ReportMetric(float64(out.resources), "resources")
	}
}

// countingWriter discards `costbot scan --json` and counts the resources in it.
type countingWriter struct {
	resources int
	tail      []byte
}

func (w *countingWriter) Write(p []byte) (int, error) {
	// Each resource has exactly one "price_source" key.
	buf := append(w.tail, p...)
	w.resources += bytes.Count(buf, []byte(`"price_source"`))
	keep := min(len(buf), len(`"price_source"`)-1)
	w.tail = append(w.tail[:0], buf[len(buf)-keep:]...)
	return len(p), nil
}
