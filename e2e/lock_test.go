package e2e

import (
	"io"
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

// Two `costbot run` on one SQLite file: the second says in one line that another
// costbot (its PID and host) runs on this database and exits 2, without a single call
// to Telegram, so the Bot API sees one poller. A SIGKILLed holder leaves no stale lock.
func TestOneDaemonPerDatabase(t *testing.T) {
	tg := tgtest.New(t)
	db := filepath.Join(t.TempDir(), "data", "cost.db")
	env := daemonEnv(tg, db, "HTTP_ADDR=")

	first := startDaemon(t, env)
	tg.WaitCall(t, "getUpdates", nil, 20*time.Second)
	startupCalls := func() int { return len(tg.Calls("getMe")) + len(tg.Calls("setMyCommands")) }
	before := startupCalls()

	started := time.Now()
	out, errOut, code := runBinary(t, t.TempDir(), env, "run")
	if code != 2 {
		t.Fatalf("second daemon exit %d, want 2\nstdout %q\nstderr %q", code, out, errOut)
	}
	if took := time.Since(started); took > 10*time.Second {
		t.Errorf("second daemon took %v to give up", took)
	}
	host, _ := os.Hostname()
	line := strings.TrimSpace(errOut)
	for _, want := range []string{"another costbot", "PID " + strconv.Itoa(first.cmd.Process.Pid), host, db} {
		if !strings.Contains(line, want) {
			t.Errorf("second daemon said %q; want it to name %q", line, want)
		}
	}
	if strings.Contains(line, "\n") {
		t.Errorf("want one line, got %q", line)
	}
	// The second process has ended; any call it made is recorded by now.
	if after := startupCalls(); after != before || tg.Conflicts() != 0 {
		t.Errorf("the second daemon talked to Telegram: %d getUpdates conflicts, getMe+setMyCommands %d -> %d", tg.Conflicts(), before, after)
	}

	first.stop(syscall.SIGKILL)
	killed := time.Now()
	next := startDaemon(t, env)
	tg.WaitCall(t, "getUpdates", func(c tgtest.Call) bool { return c.At.After(killed) }, 20*time.Second)
	next.stop(syscall.SIGTERM)
}

// A database folder costbot may not write stops `costbot run` with exit 2 and one line
// naming DB_PATH, the UID it runs as and the chown that fixes it. As root the test runs
// costbot as UID 65532 (the image's user) against a folder root owns.
func TestUnwritableDatabaseFolder(t *testing.T) {
	tg := tgtest.New(t)
	base, err := os.MkdirTemp("", "costbot-ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(base, 0o755); os.RemoveAll(base) })
	bin := filepath.Join(base, "costbot")
	copyFile(t, costbotBinary(t), bin, 0o755)
	dataDir := filepath.Join(base, "data")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dataDir, "cost_history.db")

	cmd := exec.Command(bin, "run")
	cmd.Dir = base
	cmd.Env = daemonEnv(tg, db, "HTTP_ADDR=")
	uid := os.Getuid()
	if uid == 0 {
		uid = 65532
		os.Chmod(base, 0o755)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
	} else if err := os.Chmod(dataDir, 0o555); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2; stderr %q", err, stderr.String())
	}
	line := strings.TrimSpace(stderr.String())
	for _, want := range []string{"DB_PATH " + db, "UID " + strconv.Itoa(uid), "chown -R " + strconv.Itoa(uid) + " " + dataDir} {
		if !strings.Contains(line, want) {
			t.Errorf("stderr %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "\n") {
		t.Errorf("want one line, got %q", line)
	}
	if calls := tg.Calls("getUpdates"); len(calls) != 0 {
		t.Errorf("costbot polled Telegram without a database")
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
