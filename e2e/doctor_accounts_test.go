package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"costbot/internal/awstest"
	"costbot/internal/tgtest"
)

// `costbot doctor` with AWS_ACCOUNTS=organization lists the members, then says of each,
// on one line, whether its role was assumed and its permissions allowed; a member whose
// role refuses costbot is named with the fix.
func TestDoctorChecksEveryAccount(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	ids := m.CreateOrganization(t, ctx, "dev", "prod")
	gate := awstest.StartRoleGate(t, m)
	refusedRole := "arn:aws:iam::" + ids["prod"] + ":role/CostbotReadOnly"
	gate.Refuse(refusedRole)

	tg := tgtest.New(t)
	dir := t.TempDir()
	env := cleanEnv(append([]string{"TELEGRAM_API_URL=" + tg.URL(), "TELEGRAM_BOT_TOKEN=" + tg.Token(), "TELEGRAM_CHAT_IDS=1",
		"DB_PATH=" + filepath.Join(dir, "cost.db"), "HOME=" + dir, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=" + gate.URL, "COST_REGIONS=us-east-1", "COST_EXPLORER_INTERVAL=off",
		"COST_SERVICES=ec2,ebs", "AWS_ACCOUNTS=organization", "AWS_EXTERNAL_ID=ext-7"}, unservedByMoto(t)...)...)
	out, errOut, code := runBinary(t, dir, env, "doctor")
	if code != 1 {
		t.Errorf("doctor exit %d, want 1 (one account refused):\n%s%s", code, out, errOut)
	}
	wantLines := []string{
		"✓ permissions: 6 parts allowed (account, accounts,",
		"✓ accounts: organization: 3 active account(s) listed",
		"✓ account dev (" + ids["dev"] + "): role arn:aws:iam::" + ids["dev"] + ":role/CostbotReadOnly assumed; 4 parts allowed",
		"✗ account prod (" + ids["prod"] + "): role " + refusedRole + " cannot be assumed",
		"✓ account master (123456789012): costbot's own credentials; 4 parts allowed",
	}
	for _, want := range wantLines {
		if !strings.Contains(out, want) {
			t.Errorf("doctor does not say %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "✗ account prod") && (!strings.Contains(line, "trust policy") || !strings.Contains(line, "AWS_EXTERNAL_ID")) {
			t.Errorf("the refused account's line does not name the fix: %s", line)
		}
	}
	for _, c := range gate.AssumeRoleCalls() {
		if c.Get("ExternalId") != "ext-7" {
			t.Errorf("AssumeRole of %s without AWS_EXTERNAL_ID", c.Get("RoleArn"))
		}
	}
}
