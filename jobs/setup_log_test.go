package jobs

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/config"
)

// errorLines are the ERROR lines of a text log.
func errorLines(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "level=ERROR") {
			out = append(out, line)
		}
	}
	return out
}

// On a host without AWS credentials the collect job fails at once with the cause and its
// fix in one line, recorded for /status; the log says it once, however many runs and
// jobs meet it, and again only after a run that worked.
func TestMissingCredentialsAreLoggedOnce(t *testing.T) {
	store := openStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	logs := &syncBuffer{}
	s, err := NewScheduler(store, clock, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		t.Fatal(err)
	}
	// The SDK chain's last resort on a host with no keys, no profile and no instance
	// role: the metadata service, here turned off as AWS_EC2_METADATA_DISABLED does.
	base := awssdk.Config{Region: "us-east-1", Credentials: awssdk.NewCredentialsCache(ec2rolecreds.New(func(o *ec2rolecreds.Options) {
		o.Client = imds.New(imds.Options{ClientEnableState: imds.ClientDisabled})
	}))}
	scanner := &aws.Scanner{Base: base, Regions: []string{"us-east-1", "us-west-2", "eu-west-1"}, Services: config.Services, Concurrency: 4}
	collector := NewCollector(store, scanner, nil, &fakeNotifier{}, CollectorOptions{Clock: clock})
	guardLike := func(ctx context.Context) (string, error) {
		_, err := scanner.Scan(ctx)
		return "", err
	}
	ctx := context.Background()
	for range 3 {
		if _, err := s.RunOnce(ctx, CollectJob, collector.Collect); err == nil {
			t.Fatal("collect without credentials succeeded")
		}
		if _, err := s.RunOnce(ctx, "guard", guardLike); err == nil {
			t.Fatal("guard without credentials succeeded")
		}
	}
	lines := errorLines(logs.String())
	if len(lines) != 1 || !strings.Contains(lines[0], string(aws.CauseNoCredentials)) || !strings.Contains(lines[0], "AWS_ACCESS_KEY_ID") {
		t.Fatalf("error lines %q, want one naming the cause and the fix", lines)
	}
	runs, err := store.LastJobRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Job == CollectJob && (!strings.Contains(r.Error, string(aws.CauseNoCredentials)) || strings.Contains(r.Error, "\n") || strings.Contains(r.Error, "operation error")) {
			t.Errorf("collect's recorded error (what /status shows) = %q, want the one line", r.Error)
		}
	}

	// Credentials that worked for a while and then went missing again are news.
	if _, err := s.RunOnce(ctx, "guard", func(context.Context) (string, error) { return "", nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunOnce(ctx, CollectJob, collector.Collect); err == nil {
		t.Fatal("collect without credentials succeeded")
	}
	if _, err := s.RunOnce(ctx, "guard", guardLike); err == nil {
		t.Fatal("guard without credentials succeeded")
	}
	if lines := errorLines(logs.String()); len(lines) != 1 {
		t.Errorf("after the guard's success, collect still failing: %d error lines, want still 1: %q", len(lines), lines)
	}
	if _, err := s.RunOnce(ctx, CollectJob, func(context.Context) (string, error) { return "", nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunOnce(ctx, "guard", func(context.Context) (string, error) { return "", nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunOnce(ctx, "guard", guardLike); err == nil {
		t.Fatal("guard without credentials succeeded")
	}
	if lines := errorLines(logs.String()); len(lines) != 2 {
		t.Errorf("after every job worked, the cause back: %d error lines, want 2: %q", len(lines), lines)
	}
}
