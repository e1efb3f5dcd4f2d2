// Package awstest starts moto_server for tests and builds AWS configurations that point
// the real SDK clients at it (or at an in-process fake).
package awstest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Moto is a running moto_server.
type Moto struct {
	URL string
}

var (
	motoOnce sync.Once
	motoSrv  *Moto
	motoErr  error
)

// StartMoto returns the moto_server shared by the test binary, starting it on a free
// loopback port the first time. Where moto_server is missing the test is skipped with how
// to install it, except under CI=true, where it fails.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	motoOnce.Do(func() { motoSrv, _, motoErr = launch() })
	if motoErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto_server is required under CI: %v", motoErr)
		}
		t.Skipf("moto_server unavailable (%v): install it with pip install 'moto[server]'", motoErr)
	}
	return motoSrv
}

// StartPrivateMoto starts a moto_server of the test's own, stopped when the test ends:
// for a test that changes what the whole server does (EnforceIAM).
func StartPrivateMoto(t testing.TB) *Moto {
	t.Helper()
	m, cmd, err := launch()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto_server is required under CI: %v", err)
		}
		t.Skipf("moto_server unavailable (%v): install it with pip install 'moto[server]'", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill() // launch's own goroutine reaps it
	})
	return m
}

// EnforceIAM makes moto check every later request's signature and IAM policies, as AWS
// does (moto's /moto-api/reset-auth: the count of requests still let through unchecked).
func (m *Moto) EnforceIAM(t testing.TB) {
	t.Helper()
	m.api(t, "reset-auth", "0")
}

// api posts body to one of moto's own /moto-api/ endpoints.
func (m *Moto) api(t testing.TB, endpoint, body string) {
	t.Helper()
	resp, err := http.Post(m.URL+"/moto-api/"+endpoint, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatalf("moto %s: %v", endpoint, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moto %s: status %d", endpoint, resp.StatusCode)
	}
}

func launch() (*Moto, *exec.Cmd, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, nil, fmt.Errorf("moto_server not found on PATH")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = nil, nil
	// The server dies with the test binary, whatever way the binary ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start moto_server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return nil, nil, fmt.Errorf("moto_server exited: %v", err)
		default:
		}
		resp, err := client.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return &Moto{URL: url}, cmd, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Kill()
	return nil, nil, fmt.Errorf("moto_server did not answer on %s within 60s", url)
}

// Reset empties every moto backend.
func (m *Moto) Reset(t testing.TB) {
	t.Helper()
	m.api(t, "reset", "")
}

// Config is an AWS configuration for region whose every client talks to moto.
func (m *Moto) Config(region string) awssdk.Config { return Config(m.URL, region) }

// Config is an AWS configuration with static test credentials whose every client talks
// to endpoint, retrying quickly so fault tests stay fast.
func Config(endpoint, region string) awssdk.Config {
	return awssdk.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: awssdk.String(endpoint),
		Retryer: func() awssdk.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 4
				o.MaxBackoff = 50 * time.Millisecond
			})
		},
	}
}

// Context is a test context that ends with the test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
