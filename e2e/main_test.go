package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"costbot/internal/awstest"
	"costbot/internal/tgtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// testVersion is the version the test binary is built with, as deploy/Dockerfile sets it.
const testVersion = "v0.0.0-e2e"

// costbotBinary builds the real binary, from the module's root, once per test run.
func costbotBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "costbot-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "costbot")
		build := exec.Command("go", "build", "-ldflags", "-X costbot/cli.version="+testVersion, "-o", binPath, ".")
		build.Dir = ".."
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cleanEnv is an environment without any costbot or AWS settings of the machine.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TELEGRAM_") || strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "COST_") ||
			strings.HasPrefix(name, "LIGHTSAIL_") || name == "DB_PATH" || name == "DB_URL" || name == "LEADER_LEASE" || name == "HTTP_ADDR" || name == "BOT_LANG" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func runBinary(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(costbotBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name       string
		env        []string
		args       []string
		wantCode   int
		wantStderr string
		wantStdout string
	}{
		{"help lists subcommands", nil, []string{"-h"}, 0, "", "scan"},
		{"unknown subcommand", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`, ""},
		{"run without a token", nil, []string{"run"}, 2, "TELEGRAM_BOT_TOKEN", ""},
		{"default is run", nil, nil, 2, "TELEGRAM_BOT_TOKEN", ""},
		{"run without chats", []string{"TELEGRAM_BOT_TOKEN=1:x"}, []string{"run"}, 2, "TELEGRAM_CHAT_IDS", ""},
		{"bad duration", []string{"LIGHTSAIL_CHECK_INTERVAL=soon"}, []string{"run"}, 2, "LIGHTSAIL_CHECK_INTERVAL: expected a duration", ""},
		{"bad chat id", []string{"TELEGRAM_CHAT_IDS=me"}, []string{"scan"}, 2, "TELEGRAM_CHAT_IDS: expected", ""},
		{"bad region", []string{"COST_REGIONS=moon-1"}, []string{"scan"}, 2, "COST_REGIONS: expected", ""},
		{"version", nil, []string{"version"}, 0, "", "costbot " + testVersion + "\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runBinary(t, dir, cleanEnv(tc.env...), tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d; stderr %q", code, tc.wantCode, errOut)
			}
			if !strings.Contains(errOut, tc.wantStderr) || !strings.Contains(out, tc.wantStdout) {
				t.Errorf("stdout %q stderr %q; want %q / %q", out, errOut, tc.wantStdout, tc.wantStderr)
			}
			if tc.wantCode == 2 && tc.wantStderr != "" && strings.Count(strings.TrimSpace(errOut), "\n") > 0 && !strings.Contains(errOut, "Usage") {
				t.Errorf("a bad setting must be one line, got %q", errOut)
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestDaemonEndToEnd runs the real binary against a fake Bot API: /start gets an HTML
// reply with a keyboard within a second, the command menu is registered, a stranger is
// refused with their IDs, /healthz answers, SIGTERM stops it cleanly, and the token never
// appears in its output.
func TestDaemonEndToEnd(t *testing.T) {
	srv := tgtest.New(t)
	dir := t.TempDir()
	httpAddr := freeAddr(t)
	cmd := exec.Command(costbotBinary(t), "run")
	cmd.Dir = dir
	cmd.Env = cleanEnv(
		"TELEGRAM_BOT_TOKEN="+srv.Token(),
		"TELEGRAM_API_URL="+srv.URL(),
		"TELEGRAM_CHAT_IDS=4242",
		"TELEGRAM_ADMIN_IDS=4242",
		"BOT_LANG=en",
		"DB_PATH="+filepath.Join(dir, "data", "cost.db"),
		"HTTP_ADDR="+httpAddr,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing-secret-value", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
		"COST_SERVICES=ec2",
		"COST_REGIONS=us-east-1",
		"LIGHTSAIL_REGIONS=us-east-1",
	)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
	})

	srv.WaitCall(t, "getUpdates", nil, 20*time.Second)
	for _, lang := range []string{"zh", "en", ""} {
		srv.WaitCall(t, "setMyCommands", func(c tgtest.Call) bool { return c.Params["language_code"] == lang }, 5*time.Second)
	}

	sent := time.Now()
	srv.SendMessage(4242, 4242, "/start")
	reply := srv.WaitCall(t, "sendMessage", func(c tgtest.Call) bool { return c.Params["chat_id"] == "4242" }, 5*time.Second)
	if took := time.Since(sent); took > time.Second {
		t.Errorf("/start answered after %v, want within 1s", took)
	}
	if reply.Params["parse_mode"] != "HTML" || len(reply.Keyboard()) == 0 {
		t.Errorf("/start reply = %v, want HTML with an inline keyboard", reply.Params)
	}

	srv.SendMessage(777, 777, "/start")
	refusal := srv.WaitCall(t, "sendMessage", func(c tgtest.Call) bool { return c.Params["chat_id"] == "777" }, 5*time.Second)
	if !strings.Contains(refusal.Params["text"], "777") || len(refusal.Keyboard()) != 0 {
		t.Errorf("stranger got %q with keyboard %v; want a refusal with their ID and nothing else", refusal.Params["text"], refusal.Keyboard())
	}

	resp, err := http.Get("http://" + httpAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d", resp.StatusCode)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("costbot did not stop after SIGTERM\n%s", logs.String())
	}
	out := logs.String()
	for _, secret := range []string{srv.Token(), "testing-secret-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("output contains a secret %q:\n%s", secret, out)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDoctor(t *testing.T) {
	srv := tgtest.New(t)
	moto := awstest.StartMoto(t)
	dir := t.TempDir()
	base := []string{
		"TELEGRAM_API_URL=" + srv.URL(),
		"TELEGRAM_CHAT_IDS=4242",
		"DB_PATH=" + filepath.Join(dir, "cost.db"),
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=" + moto.URL,
	}
	base = append(base, unservedByMoto(t)...)
	out, _, code := runBinary(t, dir, cleanEnv(append(base, "TELEGRAM_BOT_TOKEN="+srv.Token())...), "doctor")
	if code != 0 {
		t.Fatalf("doctor exit %d:\n%s", code, out)
	}
	for _, want := range []string{"✓ configuration", "✓ telegram: @", "✓ database", "✓ aws: account 123456789012", "✓ permissions: 16 parts allowed", "✓ cost explorer: GetCostAndUsage answers"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}

	badToken := "999:wrong-token"
	out, _, code = runBinary(t, dir, cleanEnv(append(base, "TELEGRAM_BOT_TOKEN="+badToken)...), "doctor")
	if code != 1 || !strings.Contains(out, "✗ telegram") {
		t.Errorf("doctor with a wrong token: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "wrong-token") {
		t.Errorf("doctor printed the token:\n%s", out)
	}
}
