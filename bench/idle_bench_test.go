package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"costbot/internal/awstest"
	"costbot/internal/tgtest"
)

// BenchmarkIdleDaemonRSS starts the built `costbot run` against the fake Bot API, moto and
// the Lightsail, Q and Pricing fakes, holding a small account (EC2 instances and volumes,
// Lightsail instances, a Q application). It waits until the start-up collection and the
// first guard check have finished, lets the daemon idle for idleFor, and reports what a
// host pays for it while idle: the largest anonymous resident set (RssAnon of
// /proc/<pid>/status: heap, stacks, nothing the kernel can drop without swap) and the
// largest proportional set size (Pss of /proc/<pid>/smaps_rollup: its resident pages,
// each shared page divided among the processes mapping it), with Pss's file-backed part
// (pages of the executable, clean, dropped and read again under memory pressure). Beside
// them, the largest plain resident set (VmRSS) and the peak (VmHWM: the start-up scan).
//
//	go test ./bench -run '^$' -bench BenchmarkIdleDaemonRSS -benchtime 1x
func BenchmarkIdleDaemonRSS(b *testing.B) {
	const idleFor = 150 * time.Second
	bin := filepath.Join(b.TempDir(), "costbot")
	buildCostbot(b, bin)
	moto := awstest.StartMoto(b)
	moto.Reset(b)
	ls := awstest.StartLightsail(b)
	q := awstest.StartQBusiness(b)
	pricing := awstest.NewPricingServer(b, awstest.DefaultPricingCatalogue())
	for _, region := range []string{"us-east-1", "ap-northeast-1"} {
		ec := ec2.NewFromConfig(awstest.Config(moto.URL, region))
		if _, err := ec.RunInstances(context.Background(), &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"),
			InstanceType: ec2types.InstanceTypeT3Micro, MinCount: aws.Int32(5), MaxCount: aws.Int32(5)}); err != nil {
			b.Fatal(err)
		}
		ls.AddBundle(region, awstest.LightsailBundle{ID: "small_3_0", Price: 10, TransferGB: 2048})
		for i := range 3 {
			ls.AddInstance(region, awstest.LightsailInstance{Name: fmt.Sprintf("idle-%s-%d", region, i), Bundle: "small_3_0", AllowanceGB: 2048})
		}
	}
	q.AddApplication("us-east-1", awstest.QApplication{ID: "app-1", Name: "helpdesk"})

	for b.Loop() {
		srv := tgtest.New(b)
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "COST_") && !strings.HasPrefix(kv, "TELEGRAM_") &&
				!strings.HasPrefix(kv, "DB_PATH=") && !strings.HasPrefix(kv, "LIGHTSAIL_") {
				env = append(env, kv)
			}
		}
		env = append(env, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
			"AWS_ENDPOINT_URL="+moto.URL, "AWS_ENDPOINT_URL_LIGHTSAIL="+ls.URL, "AWS_ENDPOINT_URL_QBUSINESS="+q.URL,
			"AWS_ENDPOINT_URL_PRICING="+pricing.URL, "LIGHTSAIL_REGIONS=us-east-1,ap-northeast-1",
			"TELEGRAM_BOT_TOKEN="+srv.Token(), "TELEGRAM_API_URL="+srv.URL(),
			"TELEGRAM_CHAT_IDS=1001", "TELEGRAM_ADMIN_IDS=1001", "DB_PATH="+filepath.Join(b.TempDir(), "cost.db"))
		cmd := exec.Command(bin, "run")
		cmd.Env = env
		logs := &lineWaiter{want: map[string]chan struct{}{"job=collect": make(chan struct{}), "job=lightsail": make(chan struct{}),
			"job=billing": make(chan struct{})}}
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for job, done := range logs.want {
			select {
			case <-done:
			case <-time.After(5 * time.Minute):
				cmd.Process.Kill()
				b.Fatalf("the daemon never logged the end of its start-up %s run", job)
			}
		}
		// Idle: long polls, the outbox job every minute, the runtime's forced GC every two
		// minutes. The largest of each figure seen over the idle time is reported.
		time.Sleep(10 * time.Second) // the runs' ends are logged before their records are written
		pid := cmd.Process.Pid
		var anon, pss, pssFile, rss int64
		for end := time.Now().Add(idleFor); time.Now().Before(end); time.Sleep(time.Second) {
			anon = max(anon, procKB(b, pid, "status", "RssAnon:"))
			pss = max(pss, procKB(b, pid, "smaps_rollup", "Pss:"))
			pssFile = max(pssFile, procKB(b, pid, "smaps_rollup", "Pss_File:"))
			rss = max(rss, procKB(b, pid, "status", "VmRSS:"))
		}
		hwm := procKB(b, pid, "status", "VmHWM:")
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		b.ReportMetric(float64(anon)/1024, "idle_anon_MB")
		b.ReportMetric(float64(pss)/1024, "idle_pss_MB")
		b.ReportMetric(float64(pssFile)/1024, "idle_pss_file_MB")
		b.ReportMetric(float64(rss)/1024, "idle_rss_MB")
		b.ReportMetric(float64(hwm)/1024, "peak_rss_MB")
	}
}

// lineWaiter is the daemon's stderr: it closes want[s] once a "job done" or "job failed"
// line containing s has been written.
type lineWaiter struct {
	buf  []byte
	want map[string]chan struct{}
	seen map[string]bool
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if testing.Verbose() {
			fmt.Fprintln(os.Stderr, line)
		}
		if !strings.Contains(line, "job done") && !strings.Contains(line, "job failed") {
			continue
		}
		for s, ch := range w.want {
			if strings.Contains(line, s) && !w.seen[s] {
				if w.seen == nil {
					w.seen = map[string]bool{}
				}
				w.seen[s] = true
				close(ch)
			}
		}
	}
}

// procKB reads one "Name:   1234 kB" line of /proc/<pid>/<file> (status, smaps_rollup).
func procKB(b *testing.B, pid int, file, field string) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/" + file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/%d/%s", field, pid, file)
	return 0
}

// buildCostbot builds costbot at bin as deploy/Dockerfile builds it: static, stripped.
func buildCostbot(b *testing.B, bin string) {
	b.Helper()
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "costbot")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
}
