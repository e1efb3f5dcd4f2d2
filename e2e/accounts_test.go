package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	costaws "costbot/aws"
	"costbot/internal/awstest"
	"costbot/internal/tgtest"
)

// TestOrganizationCostDoneWhen is issue 15's done-when for accounts: with two member
// accounts in moto and AWS_ACCOUNTS=organization, the daemon's first collection reaches
// both through their roles, and /cost shows each account and their sum.
func TestOrganizationCostDoneWhen(t *testing.T) {
	moto, members, accounts := devAndProd(t)
	ctx := awstest.Context(t)
	// dev runs one m5.large, prod two: $0.096 an hour each.
	for _, a := range accounts {
		n := map[string]int32{members["dev"]: 1, members["prod"]: 2}[a.ID]
		if n == 0 {
			continue
		}
		if _, err := ec2.NewFromConfig(a.Config).RunInstances(ctx, &ec2.RunInstancesInput{ImageId: awssdk.String("ami-12c6146b"),
			InstanceType: ec2types.InstanceTypeM5Large, MinCount: awssdk.Int32(n), MaxCount: awssdk.Int32(n)}); err != nil {
			t.Fatal(err)
		}
	}

	srv := tgtest.New(t)
	pricingAPI := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	dir := t.TempDir()
	d := startBotDaemon(t, dir, srv,
		"TELEGRAM_BOT_TOKEN="+srv.Token(), "TELEGRAM_API_URL="+srv.URL(),
		"TELEGRAM_CHAT_IDS=4242", "TELEGRAM_ADMIN_IDS=4242", "BOT_LANG=en", "REPORT_TZ=UTC",
		"DB_PATH="+filepath.Join(dir, "cost.db"), "HTTP_ADDR=",
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL="+moto.URL, "AWS_ENDPOINT_URL_PRICING="+pricingAPI.URL, "AWS_MAX_ATTEMPTS=1",
		"AWS_ACCOUNTS=organization", "COST_SERVICES=ec2", "COST_REGIONS=us-east-1",
		"COST_EXPLORER_INTERVAL=off", "LIGHTSAIL_CHECK_INTERVAL=24h", "LIGHTSAIL_REGIONS=us-east-1", "LIGHTSAIL_SELF=none",
	)
	d.waitLog("job done", "job=collect")

	cost := d.ask("/cost", "By account")
	line := regexp.MustCompile(`• (\S+) \((\d{12})\): \$([0-9.]+) \(`)
	got := map[string]float64{}
	for _, m := range line.FindAllStringSubmatch(cost, -1) {
		usd, _ := strconv.ParseFloat(m[3], 64)
		got[m[2]] = usd
		if want := map[string]string{members["dev"]: "dev", members["prod"]: "prod"}[m[2]]; want != "" && m[1] != want {
			t.Errorf("account %s is named %q, want %q", m[2], m[1], want)
		}
	}
	if got[members["dev"]] != 0.10 || got[members["prod"]] != 0.19 {
		t.Errorf("per-account month so far = %v, want dev $0.10 and prod $0.19:\n%s", got, cost)
	}
	if want := fmt.Sprintf("This month so far (%s): <b>$%.2f</b>", time.Now().UTC().Format("2006-01"), 3*0.096); !strings.Contains(cost, want) {
		t.Errorf("/cost lacks the sum %q:\n%s", want, cost)
	}
}

// TestScanJSONNamesEachResourcesAccount scans two member accounts of an organization:
// each resource carries the ID and the name of the account it is in.
func TestScanJSONNamesEachResourcesAccount(t *testing.T) {
	moto, members, accounts := devAndProd(t)
	ctx := awstest.Context(t)
	instances := map[string]string{} // instance ID -> the account it was started in
	for _, a := range accounts {
		if a.ID != members["dev"] && a.ID != members["prod"] {
			continue
		}
		out, err := ec2.NewFromConfig(a.Config).RunInstances(ctx, &ec2.RunInstancesInput{ImageId: awssdk.String("ami-12c6146b"),
			InstanceType: ec2types.InstanceTypeT3Micro, MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		instances[*out.Instances[0].InstanceId] = a.ID
	}
	pricingAPI := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	doc := scanJSON(t, cleanEnv(
		"DB_PATH="+filepath.Join(t.TempDir(), "cost.db"),
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL="+moto.URL, "AWS_ENDPOINT_URL_PRICING="+pricingAPI.URL, "AWS_MAX_ATTEMPTS=1",
		"AWS_ACCOUNTS=organization", "COST_SERVICES=ec2", "COST_REGIONS=us-east-1",
	))
	names := map[string]string{members["dev"]: "dev", members["prod"]: "prod"}
	seen := map[string]bool{}
	for _, r := range doc.Resources {
		if r.Account == "" {
			t.Errorf("%s %s carries no account", r.Service, r.ID)
		}
		if want, ok := names[r.Account]; ok && r.AccountName != want {
			t.Errorf("%s %s in %s is named %q, want %q", r.Service, r.ID, r.Account, r.AccountName, want)
		}
		if want, ok := instances[r.ID]; ok {
			seen[r.ID] = true
			if r.Account != want {
				t.Errorf("instance %s carries account %q, want %q", r.ID, r.Account, want)
			}
		}
	}
	if len(seen) != 2 {
		t.Errorf("scan lists %d of the two accounts' instances: %+v", len(seen), doc.Resources)
	}
}

// devAndProd is an organization in a fresh moto with two members, dev and prod (their
// IDs by name), each reached through its CostbotReadOnly role.
func devAndProd(t *testing.T) (*awstest.Moto, map[string]string, []costaws.Account) {
	t.Helper()
	moto := awstest.StartMoto(t)
	moto.Reset(t)
	ctx := awstest.Context(t)
	members := moto.CreateOrganization(t, ctx, "dev", "prod")
	resolver := &costaws.AccountResolver{Base: moto.Config("us-east-1"), Organization: true, RoleName: "CostbotReadOnly"}
	accounts, err := resolver.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return moto, members, accounts
}
