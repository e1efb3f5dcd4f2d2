package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/internal/awstest"
	"costbot/models"
)

// TestGuardStopsTheInstanceInTheRightAccount: two accounts each have an instance named
// web in the same region; only the first is over its allowance. The guard stops that
// one, in its own account, and never the other; a person's stop by name alone is
// refused as ambiguous, and a stop naming the account reaches that account only.
func TestGuardStopsTheInstanceInTheRightAccount(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	const over, under = "111111111111", "222222222222"
	resolver := &aws.AccountResolver{Base: m.Config(east), RoleARNs: []string{
		"arn:aws:iam::" + over + ":role/CostbotReadOnly", "arn:aws:iam::" + under + ":role/CostbotReadOnly"}}
	lightsail := awstest.StartLightsailAccounts(t, m)

	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(start)
	for id, allowanceGB := range map[string]int{over: 1, under: 1000} {
		ls := lightsail.Account(id)
		ls.SetClock(clock.Now)
		ls.AddInstance(east, awstest.LightsailInstance{Name: "web", Bundle: "micro_3_0", AllowanceGB: allowanceGB,
			CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		ls.SetTraffic(east, "web", "NetworkIn", awstest.ConstantTraffic(1e6))
		ls.SetTraffic(east, "web", "NetworkOut", awstest.ConstantTraffic(1e6))
	}

	store := openStore(t)
	events := &eventLog{}
	guard := NewGuard(guardConfig(t, map[string]string{"LIGHTSAIL_REGIONS": east}), store, m.Config(east), events, nil, clock)
	// Each account's Lightsail, reached with that account's assumed credentials.
	guard.SetAccounts(resolver, 2, func(a aws.Account) LightsailOps {
		cfg := a.Config.Copy()
		cfg.BaseEndpoint = &lightsail.URL
		return sdkLightsail{base: cfg}
	})
	if counts, err := guard.Check(ctx); err != nil {
		t.Fatalf("check: %v (%s)", err, counts)
	}

	if got := lightsail.Account(over).State(east, "web"); got != "stopped" {
		t.Errorf("web of %s (over its allowance) is %s, want stopped", over, got)
	}
	if got := lightsail.Account(under).State(east, "web"); got != "running" {
		t.Errorf("web of %s (under its allowance) is %s, want running", under, got)
	}
	if n := len(lightsail.Account(under).Calls("StopInstance")); n != 0 {
		t.Errorf("%d StopInstance calls reached %s", n, under)
	}
	stops := events.of(models.EventLightsailStop)
	if len(stops) != 1 || !strings.HasPrefix(stops[0].Key, over+"/") || stops[0].Data.(models.LightsailStop).Traffic.AccountID != over {
		t.Fatalf("stop pushes = %+v, want one, of %s", stops, over)
	}
	latest, err := store.LatestLightsailUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byAccount := map[string]models.LightsailUsage{}
	for _, r := range latest {
		byAccount[r.AccountID] = r
	}
	if len(latest) != 2 || byAccount[over].Percent < 95 || byAccount[under].Percent >= 95 {
		t.Errorf("latest checks = %+v, want one per account, each its own figures", latest)
	}
	for _, id := range []string{over, under} {
		actions, err := store.LightsailActions(ctx, id, east, "web", CycleOf(start))
		if err != nil {
			t.Fatal(err)
		}
		stopped := 0
		for _, a := range actions {
			if a.AccountID != id {
				t.Errorf("action %+v recorded under %s", a, id)
			}
			if a.Action == "stop" {
				stopped++
			}
		}
		if want := map[string]int{over: 1, under: 0}[id]; stopped != want {
			t.Errorf("%s: %d stop actions, want %d", id, stopped, want)
		}
	}

	// A person's stop: by name alone it is ambiguous; with the account it goes there.
	if err := guard.Stop(ctx, east, "web", "42"); !errors.Is(err, ErrAmbiguousInstance) || !strings.Contains(err.Error(), over) || !strings.Contains(err.Error(), under) {
		t.Errorf("stop by name = %v, want ErrAmbiguousInstance naming both accounts", err)
	}
	overStops := len(lightsail.Account(over).Calls("StopInstance"))
	if err := guard.StopIn(ctx, under, east, "web", "42"); err != nil {
		t.Fatal(err)
	}
	if got := lightsail.Account(under).State(east, "web"); got != "stopped" {
		t.Errorf("web of %s after StopIn is %s", under, got)
	}
	if n := len(lightsail.Account(over).Calls("StopInstance")); n != overStops {
		t.Errorf("StopIn of %s also reached %s", under, over)
	}
	if err := guard.StopIn(ctx, "333333333333", east, "web", "42"); !errors.Is(err, ErrNotWatched) {
		t.Errorf("stop in an account outside AWS_ACCOUNTS = %v, want ErrNotWatched", err)
	}
}

// TestGuardRecordsAnAccountItCannotReach: an account whose role cannot be assumed is
// recorded with the fix, and the other account is still checked.
func TestGuardRecordsAnAccountItCannotReach(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	gate := awstest.StartRoleGate(t, m)
	const good, refused = "111111111111", "999999999999"
	refusedRole := "arn:aws:iam::" + refused + ":role/CostbotReadOnly"
	gate.Refuse(refusedRole)
	resolver := &aws.AccountResolver{Base: awstest.Config(gate.URL, east), RoleARNs: []string{"arn:aws:iam::" + good + ":role/CostbotReadOnly", refusedRole}}
	lightsail := awstest.StartLightsailAccounts(t, m)
	clock := clockwork.NewFakeClockAt(time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC))
	lightsail.Account(good).SetClock(clock.Now)
	lightsail.Account(good).AddInstance(east, awstest.LightsailInstance{Name: "web", Bundle: "micro_3_0", AllowanceGB: 1000,
		CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})

	store := openStore(t)
	if err := store.SaveAccounts(ctx, []models.Account{{ID: good}, {ID: refused}}); err != nil {
		t.Fatal(err)
	}
	guard := NewGuard(guardConfig(t, map[string]string{"LIGHTSAIL_REGIONS": east}), store, m.Config(east), &eventLog{}, nil, clock)
	guard.SetAccounts(resolver, 2, func(a aws.Account) LightsailOps {
		cfg := a.Config.Copy()
		cfg.BaseEndpoint = &lightsail.URL
		return sdkLightsail{base: cfg}
	})
	_, err := guard.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), refused) || strings.Contains(err.Error(), "account "+good) {
		t.Fatalf("check error = %v, want the refused account only", err)
	}
	accounts, err := store.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accounts {
		switch a.ID {
		case refused:
			if a.Job != GuardJob || !strings.Contains(a.Problem, refusedRole) || !strings.Contains(a.Problem, "trust policy") {
				t.Errorf("refused account = %+v", a)
			}
		case good:
			if a.Problem != "" {
				t.Errorf("reachable account has problem %q", a.Problem)
			}
		}
	}
	latest, err := store.LatestLightsailUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 1 || latest[0].AccountID != good || latest[0].Instance != "web" {
		t.Errorf("latest checks = %+v, want the reachable account's web", latest)
	}
}
