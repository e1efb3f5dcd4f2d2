package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/internal/awstest"
	"costbot/models"
	"costbot/pricing"
)

// startInstances starts n t3.micro instances with cfg's credentials (moto keeps them in
// the credentials' account) and returns their IDs.
func startInstances(t *testing.T, ctx context.Context, cfg awssdk.Config, n int) []string {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: awssdk.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro,
		MinCount: awssdk.Int32(int32(n)), MaxCount: awssdk.Int32(int32(n))})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range out.Instances {
		ids = append(ids, awssdk.ToString(in.InstanceId))
	}
	return ids
}

// accountsCollector is a collector over resolver's accounts (EC2 in us-east-1), pricing
// from the in-process Pricing API.
func accountsCollector(t *testing.T, store *models.Store, resolver *aws.AccountResolver, clock clockwork.Clock) *Collector {
	t.Helper()
	prices := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	scanner := &aws.MultiScanner{Resolver: resolver, AccountConcurrency: 2,
		Scanner: aws.Scanner{Regions: []string{"us-east-1"}, Services: []string{"ec2"}, Concurrency: 2, TaskTimeout: time.Minute}}
	pricer := pricing.New(store, pricing.NewAPIClient(prices.Config()), pricing.Options{Now: clock.Now})
	return NewCollector(store, scanner, pricer, &fakeNotifier{}, CollectorOptions{Clock: clock})
}

// storedAccounts is the accounts table by ID.
func storedAccounts(t *testing.T, store *models.Store) map[string]models.Account {
	t.Helper()
	list, err := store.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]models.Account{}
	for _, a := range list {
		out[a.ID] = a
	}
	return out
}

// TestCollectOrganizationStoresEveryAccount is the done-when for the collector:
// with two member accounts in moto and AWS_ACCOUNTS=organization, one collection stores
// both accounts' resources with their account IDs, and the hour's total is their sum.
func TestCollectOrganizationStoresEveryAccount(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	base := m.Config("us-east-1")
	members := m.CreateOrganization(t, ctx, "dev", "prod") // name -> ID
	resolver := &aws.AccountResolver{Base: base, Organization: true, RoleName: "CostbotReadOnly"}
	accounts, err := resolver.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // instance -> account
	for _, a := range accounts {
		n := map[string]int{members["dev"]: 1, members["prod"]: 2}[a.ID]
		for _, id := range startInstances(t, ctx, a.Config, n) {
			want[id] = a.ID
		}
	}

	store := openStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC))
	c := accountsCollector(t, store, resolver, clock)
	sum, err := c.CollectNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Errors) != 0 {
		t.Fatalf("scan errors: %v", sum.Errors)
	}
	hour := time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)
	recs := hourRecords(t, store, hour)
	perAccount := map[string]float64{}
	for id, acct := range want {
		r, ok := recs[id]
		if !ok || r.AccountID != acct {
			t.Errorf("instance %s: stored %v with account %q, want account %s", id, ok, r.AccountID, acct)
		}
		approx(t, id+" hour", r.CostUSD, t3MicroUSD)
		perAccount[r.AccountID] += r.CostUSD
	}
	if len(perAccount) != 2 {
		t.Errorf("costs by account = %v, want the two members", perAccount)
	}
	approx(t, "hour total", costHour(t, store, hour).TotalUSD, perAccount[members["dev"]]+perAccount[members["prod"]])
	rows := resourceRows(t, store)
	for id, acct := range want {
		if rows[id].AccountID != acct {
			t.Errorf("resource %s: account %q, want %s", id, rows[id].AccountID, acct)
		}
	}
	stored := storedAccounts(t, store)
	if len(stored) != 3 {
		t.Errorf("accounts = %+v, want the management account and both members", stored)
	}
	for name, id := range members {
		if a := stored[id]; a.Name != name || a.Problem != "" || a.Job != CollectJob || a.RoleARN == "" {
			t.Errorf("account %s = %+v", id, a)
		}
	}
}

// TestCollectOneRefusedAccountAmongThree: an account whose role cannot be assumed is
// recorded with its problem, its last hour carried forward, estimated, and the other
// two are collected as usual.
func TestCollectOneRefusedAccountAmongThree(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	gate := awstest.StartRoleGate(t, m)
	roles := []string{"arn:aws:iam::111111111111:role/CostbotReadOnly", "arn:aws:iam::222222222222:role/CostbotReadOnly",
		"arn:aws:iam::333333333333:role/CostbotReadOnly"}
	resolver := &aws.AccountResolver{Base: awstest.Config(gate.URL, "us-east-1"), RoleARNs: roles}
	accounts, err := resolver.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{}
	for _, a := range accounts {
		for _, id := range startInstances(t, ctx, a.Config, 1) {
			owner[id] = a.ID
		}
	}

	store := openStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC))
	c := accountsCollector(t, store, resolver, clock)
	if _, err := c.CollectNow(ctx); err != nil {
		t.Fatal(err)
	}

	// The third account's trust policy stops naming costbot. Its cached credentials
	// are still good, so the collector is built again, as after a restart.
	gate.Refuse(roles[2])
	resolver = &aws.AccountResolver{Base: awstest.Config(gate.URL, "us-east-1"), RoleARNs: roles}
	clock.Advance(time.Hour)
	c = accountsCollector(t, store, resolver, clock)
	sum, err := c.CollectNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Errors) == 0 || !strings.Contains(strings.Join(sum.Errors, "\n"), "333333333333") {
		t.Errorf("summary errors %v do not name the refused account", sum.Errors)
	}
	hour := time.Date(2026, 5, 12, 11, 0, 0, 0, time.UTC)
	recs := hourRecords(t, store, hour)
	total := 0.0
	for id, acct := range owner {
		r, ok := recs[id]
		if !ok || r.AccountID != acct {
			t.Fatalf("instance %s of %s: stored %v as %+v", id, acct, ok, r)
		}
		if refused := acct == "333333333333"; r.Estimated != refused {
			t.Errorf("instance %s of %s: estimated %v, want %v (carried forward only for the refused account)", id, acct, r.Estimated, refused)
		}
		total += r.CostUSD
	}
	ch := costHour(t, store, hour)
	approx(t, "hour total", ch.TotalUSD, total)
	if !ch.Estimated || ch.CarriedTasks != 1 {
		t.Errorf("cost hour = %+v, want estimated with one carried task", ch)
	}
	rows := resourceRows(t, store)
	for id := range owner {
		if !rows[id].Active {
			t.Errorf("resource %s went inactive", id)
		}
	}
	stored := storedAccounts(t, store)
	for _, a := range accounts {
		p := stored[a.ID].Problem
		if a.ID == "333333333333" {
			if !strings.Contains(p, roles[2]) || !strings.Contains(p, "trust policy") {
				t.Errorf("refused account's problem = %q", p)
			}
		} else if p != "" {
			t.Errorf("account %s has problem %q", a.ID, p)
		}
	}
}

// Two accounts' resources of the same service, region and ID (a Lightsail instance
// "web" in each) are two records of the hour, each with its account.
func TestHourWriteKeepsSameIDsOfTwoAccounts(t *testing.T) {
	hour := time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)
	web := func(account string, usd float64) models.PricedResource {
		return models.PricedResource{
			Resource: models.Resource{AccountID: account, Service: "lightsail", Region: "us-east-1", ID: "web", Name: "web", Kind: models.KindInstance},
			Cost:     models.Cost{HourlyUSD: usd, Priced: true, Source: models.SourceAPI},
		}
	}
	scopes := []scope{{TaskScope: models.TaskScope{Service: "lightsail", Region: "us-east-1"}}}
	w := hourWrite(hour, hour, []models.PricedResource{web("111111111111", 0.01), web("222222222222", 0.02)}, scopes)
	if len(w.Records) != 2 || w.Records[0].AccountID == w.Records[1].AccountID {
		t.Fatalf("records = %+v, want one per account", w.Records)
	}
	if len(w.Resources) != 2 || w.Resources[0].Key == w.Resources[1].Key {
		t.Errorf("resources = %+v, want one per account", w.Resources)
	}
}
