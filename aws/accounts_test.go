package aws

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"costbot/internal/awstest"
)

// memberRole is the role ARN of account id with the default member role name.
func memberRole(id string) string { return "arn:aws:iam::" + id + ":role/CostbotReadOnly" }

func TestResolveRoleARNsAssumesEachRole(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	gate := awstest.StartRoleGate(t, m)
	roles := []string{memberRole("111111111111"), memberRole("222222222222")}
	r := &AccountResolver{Base: awstest.Config(gate.URL, "us-east-1"), RoleARNs: roles, ExternalID: "costbot-ext-1"}
	accounts, err := r.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 2 {
		t.Fatalf("accounts = %+v, want two", accounts)
	}
	for i, a := range accounts {
		want := roles[i][13:25]
		if a.ID != want || a.RoleARN != roles[i] {
			t.Errorf("account %d = %s via %s, want %s via %s", i, a.ID, a.RoleARN, want, roles[i])
		}
		got, err := AccountID(ctx, a.Config)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("credentials of %s are account %s's", want, got)
		}
	}
	calls := gate.AssumeRoleCalls()
	if len(calls) != 2 {
		t.Fatalf("AssumeRole called %d times, want once per role", len(calls))
	}
	for _, c := range calls {
		if c.Get("ExternalId") != "costbot-ext-1" || c.Get("RoleSessionName") != RoleSessionName {
			t.Errorf("AssumeRole %s: external ID %q, session %q", c.Get("RoleArn"), c.Get("ExternalId"), c.Get("RoleSessionName"))
		}
	}
}

func TestAssumedCredentialsRefreshBeforeExpiry(t *testing.T) {
	tests := []struct {
		name    string
		window  time.Duration
		retries int
		assumes int
	}{
		// 15-minute sessions refreshed 5 minutes before they end: one AssumeRole serves
		// every call, even across resolutions.
		{"kept until the expiry window", 0, 5, 1},
		// A window longer than the session: every retrieval finds them about to
		// expire and assumes the role again.
		{"assumed again inside the expiry window", 16 * time.Minute, 5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := freshMoto(t)
			ctx := awstest.Context(t)
			gate := awstest.StartRoleGate(t, m)
			r := &AccountResolver{Base: awstest.Config(gate.URL, "us-east-1"), RoleARNs: []string{memberRole("333333333333")},
				Duration: 15 * time.Minute, ExpiryWindow: tt.window}
			keys := map[string]bool{}
			for range tt.retries {
				accounts, err := r.Resolve(ctx)
				if err != nil {
					t.Fatal(err)
				}
				creds, err := accounts[0].Config.Credentials.Retrieve(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !creds.CanExpire || time.Until(creds.Expires) > 16*time.Minute {
					t.Errorf("credentials expire at %v, want within the 15-minute session", creds.Expires)
				}
				keys[creds.AccessKeyID] = true
			}
			if got := len(gate.AssumeRoleCalls()); got != tt.assumes {
				t.Errorf("AssumeRole called %d times, want %d", got, tt.assumes)
			}
			if len(keys) != tt.assumes {
				t.Errorf("%d distinct access keys, want %d", len(keys), tt.assumes)
			}
			for _, c := range gate.AssumeRoleCalls() {
				if c.Get("DurationSeconds") != "900" {
					t.Errorf("DurationSeconds = %q, want 900", c.Get("DurationSeconds"))
				}
			}
		})
	}
}

func TestResolveOrganizationListsActiveMembers(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	base := m.Config("us-east-1")
	ids := m.CreateOrganization(t, ctx, "dev", "prod")
	management, err := AccountID(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	r := &AccountResolver{Base: base, Organization: true, RoleName: "CostbotReadOnly"}
	accounts, err := r.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Account{}
	for _, a := range accounts {
		got[a.ID] = a
	}
	if len(got) != 3 {
		t.Fatalf("accounts = %v, want the management account and two members", slices.Sorted(maps.Keys(got)))
	}
	if a := got[management]; a.RoleARN != "" {
		t.Errorf("management account %s is reached through role %q; want the base credentials", management, a.RoleARN)
	} else if acct, err := AccountID(ctx, a.Config); err != nil || acct != management {
		t.Errorf("management account: credentials are account %q's (%v)", acct, err)
	}
	for name, id := range ids {
		a := got[id]
		if a.Name != name || a.RoleARN != memberRole(id) {
			t.Errorf("member %s = %+v, want name %s and role %s", id, a.Model(), name, memberRole(id))
		}
		if acct, err := AccountID(ctx, a.Config); err != nil || acct != id {
			t.Errorf("member %s: credentials are account %q's (%v)", id, acct, err)
		}
	}

	// A member that joins later is there at the next resolution.
	staging := m.AddMember(t, ctx, "staging")
	again, err := r.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(again, func(a Account) bool { return a.ID == staging }) {
		t.Errorf("the member that joined is not resolved: %+v", again)
	}
}

func TestResolveOrganizationOutsideOneSaysSo(t *testing.T) {
	m := freshMoto(t)
	r := &AccountResolver{Base: m.Config("us-east-1"), Organization: true, RoleName: "CostbotReadOnly"}
	_, err := r.Resolve(awstest.Context(t))
	if err == nil || !strings.Contains(err.Error(), "in no organization") || !strings.Contains(err.Error(), "AWS_ACCOUNTS") {
		t.Fatalf("err = %v, want one line saying the account is in no organization", err)
	}
}

func TestScanAccountsOneRefusedAmongThree(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	gate := awstest.StartRoleGate(t, m)
	base := awstest.Config(gate.URL, "us-east-1")
	roles := []string{memberRole("111111111111"), memberRole("222222222222"), memberRole("999999999999")}
	r := &AccountResolver{Base: base, RoleARNs: roles, ExternalID: "ext-42"}
	accounts, err := r.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // instance -> account
	for _, a := range accounts[:2] {
		want[awssdk.ToString(runInstance(t, ctx, ec2.NewFromConfig(a.Config), "t3.micro", "web", nil).InstanceId)] = a.ID
	}
	gate.Refuse(roles[2])

	ms := &MultiScanner{Resolver: r, AccountConcurrency: 2,
		Scanner: Scanner{Regions: []string{"us-east-1"}, Services: []string{"ec2"}, Concurrency: 2}}
	res, err := ms.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, rsc := range res.Resources {
		if rsc.Kind == "instance" {
			got[rsc.ID] = rsc.AccountID
		}
	}
	for id, acct := range want {
		if got[id] != acct {
			t.Errorf("instance %s: account %q, want %s", id, got[id], acct)
		}
	}
	if len(got) != len(want) {
		t.Errorf("instances = %v, want %v", got, want)
	}
	if len(res.Accounts) != 3 {
		t.Fatalf("account scans = %+v", res.Accounts)
	}
	for i, sc := range res.Accounts {
		if i < 2 && (sc.Err != nil || sc.Problem != "") {
			t.Errorf("account %s failed: %v", sc.Account.ID, sc.Err)
		}
	}
	refused := res.Accounts[2]
	for _, part := range []string{roles[2], "trust policy", "AWS_EXTERNAL_ID"} {
		if !strings.Contains(refused.Problem, part) {
			t.Errorf("problem %q does not name %q", refused.Problem, part)
		}
	}
	if strings.Contains(refused.Problem, "\n") {
		t.Errorf("problem is more than one line: %q", refused.Problem)
	}
	failed := 0
	for _, task := range res.Tasks {
		if task.Account == "999999999999" {
			if task.Err == nil {
				t.Errorf("task %s/%s of the refused account did not fail", task.Service, task.Region)
			}
			failed++
		}
	}
	if failed == 0 {
		t.Error("the refused account has no failed tasks: its history would not be carried forward")
	}
}
