package bench

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"costbot/internal/tgtest"
)

// BenchmarkIdleDaemonRSS starts the built `costbot run` against the fake Bot API with
// the AWS endpoint pointing at a closed loopback port (its start-up scan fails at once,
// as with no network), lets it idle for 30 seconds after its first getUpdates, and
// reports the peak resident set it reached (VmHWM) and its resident set then (VmRSS).
//
//	go test ./bench -run '^$' -bench BenchmarkIdleDaemonRSS -benchtime 1x
func BenchmarkIdleDaemonRSS(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "costbot")
	build := exec.Command("go", "build", "-o", bin, "costbot")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	deadAWS := "http://" + l.Addr().String()
	l.Close()
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
			"AWS_ENDPOINT_URL="+deadAWS, "AWS_MAX_ATTEMPTS=1", "TELEGRAM_BOT_TOKEN="+srv.Token(), "TELEGRAM_API_URL="+srv.URL(),
			"TELEGRAM_CHAT_IDS=1001", "TELEGRAM_ADMIN_IDS=1001", "DB_PATH="+filepath.Join(b.TempDir(), "cost.db"))
		cmd := exec.Command(bin, "run")
		cmd.Env = env
		if testing.Verbose() {
			cmd.Stderr = os.Stderr // with GODEBUG=gctrace=1, the daemon's heap
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		srv.WaitCall(b, "getUpdates", nil, 30*time.Second)
		time.Sleep(30 * time.Second)
		hwm, rss := procStatusKB(b, cmd.Process.Pid, "VmHWM:"), procStatusKB(b, cmd.Process.Pid, "VmRSS:")
		if testing.Verbose() {
			for _, f := range []string{"RssAnon:", "RssFile:"} {
				b.Logf("%s %d kB", f, procStatusKB(b, cmd.Process.Pid, f))
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		b.ReportMetric(float64(hwm)/1024, "peak_rss_MB")
		b.ReportMetric(float64(rss)/1024, "idle_rss_MB")
	}
}

// procStatusKB reads one "Name:   1234 kB" line of /proc/<pid>/status.
func procStatusKB(b *testing.B, pid int, field string) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
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
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
