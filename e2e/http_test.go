package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"costbot/internal/nettest"
	"costbot/internal/tgtest"
)

// daemonEnv is a daemon's environment against the fake Bot API, with AWS pointed at a
// closed port (its scans fail fast; nothing here needs them).
func daemonEnv(tg *tgtest.Server, dbPath string, extra ...string) []string {
	return cleanEnv(append([]string{
		"TELEGRAM_BOT_TOKEN=" + tg.Token(), "TELEGRAM_API_URL=" + tg.URL(), "TELEGRAM_CHAT_IDS=4242",
		"DB_PATH=" + dbPath,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_MAX_ATTEMPTS=1",
		"COST_REGIONS=us-east-1", "COST_SERVICES=ec2", "LIGHTSAIL_REGIONS=us-east-1",
	}, extra...)...)
}

// listening is every TCP address the process listens on, read from /proc: its socket
// inodes, matched against the kernel's TCP tables.
func listening(t *testing.T, pid int) []string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); ok && err == nil {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var out []string
	for _, table := range []string{"tcp", "tcp6"} {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(raw), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) > 9 && f[3] == "0A" && inodes[f[9]] { // 0A: LISTEN
				out = append(out, table+" "+f[1])
			}
		}
	}
	return out
}

// HTTP_ADDR set but empty serves nothing: the daemon polls Telegram and listens on no
// port at all (it used to fall back to :8080 on every interface).
func TestEmptyHTTPAddrServesNothing(t *testing.T) {
	tg := tgtest.New(t)
	d := startDaemon(t, daemonEnv(tg, filepath.Join(t.TempDir(), "cost.db"), "HTTP_ADDR="))
	tg.WaitCall(t, "getUpdates", nil, 20*time.Second)
	if socks := listening(t, d.cmd.Process.Pid); len(socks) != 0 {
		t.Errorf("HTTP_ADDR= still listens on %v", socks)
	}
	d.stop(syscall.SIGTERM)
	if logs := d.logs.String(); !strings.Contains(logs, "http server off") || strings.Contains(logs, "http listening") {
		t.Errorf("logs should say the server is off:\n%s", logs)
	}
}

// daemonMaxConns is the daemon's cap on open HTTP connections (cli's defaultHTTPLimits).
const daemonMaxConns = 64

// The real daemon refuses a 900 KB header (431) and keeps at most its connection cap
// open when a client opens 200 and leaves them idle.
func TestHTTPServerResistsHeaderAndConnectionFloods(t *testing.T) {
	tg := tgtest.New(t)
	addr := freeAddr(t)
	d := startDaemon(t, daemonEnv(tg, filepath.Join(t.TempDir(), "cost.db"), "HTTP_ADDR="+addr))
	tg.WaitCall(t, "getUpdates", nil, 20*time.Second)
	defer d.stop(syscall.SIGTERM)

	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/healthz", nil)
	req.Header.Set("X-Flood", strings.Repeat("a", 900<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 900 KB header got %d, want 431", resp.StatusCode)
	}

	const flood = 200
	served := 0
	for range flood {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if nettest.KeptAlive(c, addr) {
			served++
		}
	}
	if served > daemonMaxConns || served == 0 {
		t.Errorf("%d of %d idle keep-alive connections were served and kept, want at most %d", served, flood, daemonMaxConns)
	}
}
