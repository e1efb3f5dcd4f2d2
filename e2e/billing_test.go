package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"costbot/internal/awstest"
	"costbot/internal/tgtest"
	"costbot/models"
)

// billingDaemon is the real binary against moto (AWS, Cost Explorer through ceURL), the
// Lightsail fake and the fake Bot API, on a database prepared beforehand.
type billingDaemon struct {
	t    *testing.T
	srv  *tgtest.Server
	cmd  *exec.Cmd
	logs *syncBuffer
}

func startBillingDaemon(t *testing.T, dir string, moto *awstest.Moto, ceURL string) *billingDaemon {
	t.Helper()
	srv := tgtest.New(t)
	ls := awstest.StartLightsail(t)
	return startBotDaemon(t, dir, srv,
		"TELEGRAM_BOT_TOKEN="+srv.Token(), "TELEGRAM_API_URL="+srv.URL(),
		"TELEGRAM_CHAT_IDS=4242", "TELEGRAM_ADMIN_IDS=4242", "BOT_LANG=en", "REPORT_TZ=UTC",
		"DB_PATH="+filepath.Join(dir, "cost.db"), "HTTP_ADDR="+freeAddr(t),
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL="+moto.URL, "AWS_ENDPOINT_URL_COST_EXPLORER="+ceURL,
		"AWS_ENDPOINT_URL_LIGHTSAIL="+ls.URL, "AWS_ENDPOINT_URL_PRICING=http://127.0.0.1:1", "AWS_MAX_ATTEMPTS=1",
		"COST_SERVICES=ec2,ebs,vpc", "COST_REGIONS=us-east-1", "LIGHTSAIL_REGIONS=us-east-1",
	)
}

// startBotDaemon runs `costbot run` in dir with env (on top of a clean environment)
// against the fake Bot API srv, and waits for its first poll.
func startBotDaemon(t *testing.T, dir string, srv *tgtest.Server, env ...string) *billingDaemon {
	t.Helper()
	cmd := exec.Command(costbotBinary(t), "run")
	cmd.Dir = dir
	cmd.Env = cleanEnv(env...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("daemon output:\n%s", logs.String())
		}
	})
	srv.WaitCall(t, "getUpdates", nil, 20*time.Second)
	return &billingDaemon{t: t, srv: srv, cmd: cmd, logs: logs}
}

// ask sends text from the owner and returns the reply, told apart from pushes by a
// marker it contains.
func (d *billingDaemon) ask(text, marker string) string {
	d.t.Helper()
	sent := time.Now()
	d.srv.SendMessage(4242, 4242, text)
	return d.srv.WaitCall(d.t, "sendMessage", func(c tgtest.Call) bool {
		return c.At.After(sent) && c.Params["chat_id"] == "4242" && strings.Contains(c.Params["text"], marker)
	}, 20*time.Second).Params["text"]
}

// waitLog waits for the daemon to log a line containing every part.
func (d *billingDaemon) waitLog(parts ...string) {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, line := range strings.Split(d.logs.String(), "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("the daemon never logged %q", parts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seedEstimate writes costbot's estimate for every hour of [from, to): EC2 at $0.05,
// EBS at $0.01 and VPC (a NAT gateway) at $0.045 an hour.
func seedEstimate(t *testing.T, path string, from, to time.Time) {
	t.Helper()
	store, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		w := models.HourWrite{Hour: h, CollectedAt: h, Records: []models.CostRecord{
			{Hour: h, Service: "ec2", Region: "us-east-1", ResourceID: "i-web", CostUSD: 0.05, PriceSource: models.SourceAPI},
			{Hour: h, Service: "ebs", Region: "us-east-1", ResourceID: "vol-data", CostUSD: 0.01, PriceSource: models.SourceAPI},
			{Hour: h, Service: "vpc", Region: "us-east-1", ResourceID: "nat-1", CostUSD: 0.045, PriceSource: models.SourceAPI},
		}}
		if _, err := store.WriteHour(t.Context(), w); err != nil {
			t.Fatal(err)
		}
	}
}

// billedMonth is Cost Explorer's answer for the days [from, to): EC2 at ec2 a day, EBS,
// NAT and data transfer from "EC2 - Other", Lightsail with 1 GB of overage, Route 53,
// and Tax on the first day; then the credits answer, with a $5 credit on the first day
// when credit is set.
func billedMonth(from, to time.Time, ec2 float64, credit bool) (usage, credits map[string]any) {
	var days, creditDays []awstest.CEDay
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		groups := []awstest.CEGroup{
			{Keys: []string{"Amazon Elastic Compute Cloud - Compute", "BoxUsage:t3.micro"}, Unblended: fmt.Sprint(ec2), Net: fmt.Sprint(ec2), Quantity: "24", Unit: "Hrs"},
			{Keys: []string{"EC2 - Other", "EBS:VolumeUsage.gp3"}, Unblended: "0.24", Net: "0.24", Quantity: "3", Unit: "GB-Mo"},
			{Keys: []string{"EC2 - Other", "NatGateway-Hours"}, Unblended: "1.08", Net: "1.08", Quantity: "24", Unit: "Hrs"},
			{Keys: []string{"EC2 - Other", "DataTransfer-Out-Bytes"}, Unblended: "0.09", Net: "0.09", Quantity: "1", Unit: "GB"},
			{Keys: []string{"Amazon Lightsail", "USE1-BundleUsage:5USD"}, Unblended: "0.16", Net: "0.16", Quantity: "24", Unit: "Hrs"},
			{Keys: []string{"Amazon Lightsail", "APN1-DataXfer-Out-Overage-Bytes"}, Unblended: "0.14", Net: "0.14", Quantity: "1", Unit: "GB"},
			{Keys: []string{"Amazon Route 53", "HostedZone"}, Unblended: "0.02", Net: "0.02", Quantity: "0.03", Unit: "HostedZone"},
		}
		cd := awstest.CEDay{Day: d.Format(time.DateOnly), Estimated: true}
		if d.Equal(from) {
			groups = append(groups, awstest.CEGroup{Keys: []string{"Tax", "NoUsageType"}, Unblended: "2", Net: "2"})
			if credit {
				cd.Groups = []awstest.CEGroup{{Keys: []string{"Credit", "Amazon Elastic Compute Cloud - Compute"}, Unblended: "-5", Net: "-5"}}
			}
		}
		days = append(days, awstest.CEDay{Day: d.Format(time.DateOnly), Estimated: true, Groups: groups})
		creditDays = append(creditDays, cd)
	}
	return awstest.CostAndUsage(days, ""), awstest.CostAndUsage(creditDays, "")
}

// TestWhatAWSBilledDoneWhen is issue 11's done-when: the daemon against moto_server with
// a month of billed days queued shows, in /bill, costbot's estimate and AWS's bill side
// by side per service, the data transfer, Route 53 and Tax lines and the gross and net
// totals; the difference alert arrives once; with Cost Explorer denied, /status says so
// in one line and /cost still answers.
func TestWhatAWSBilledDoneWhen(t *testing.T) {
	moto := awstest.StartMoto(t)
	moto.Reset(t)
	now := time.Now().UTC()
	cur := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	prev := cur.AddDate(0, -1, 0)
	today := now.Truncate(24 * time.Hour)
	days := float64(cur.Sub(prev).Hours() / 24)

	dir := t.TempDir()
	seedEstimate(t, filepath.Join(dir, "cost.db"), prev, now.Truncate(time.Hour))
	// The previous month: EC2 billed $3.00 a day against $1.20 estimated (the
	// difference); the current month so far: as estimated.
	usage, credits := billedMonth(prev, cur, 3, true)
	moto.QueueCostAndUsage(t, usage, credits)
	if today.After(cur) {
		usage, credits = billedMonth(cur, today, 1.2, false)
		moto.QueueCostAndUsage(t, usage, credits)
	}
	d := startBillingDaemon(t, dir, moto, moto.URL)

	alert := d.srv.WaitCall(t, "sendMessage", func(c tgtest.Call) bool { return strings.Contains(c.Params["text"], "EC2 billed $") }, 30*time.Second)
	month := models.MonthOf(prev)
	estEC2, billedEC2 := days*24*0.05, days*3
	if want := fmt.Sprintf("EC2 billed $%.2f, estimated $%.2f</b>: the difference (+$%.2f, %s through %s) is mostly BoxUsage:t3.micro",
		billedEC2, estEC2, billedEC2-estEC2, month, cur.AddDate(0, 0, -1).Format(time.DateOnly)); !strings.Contains(alert.Params["text"], want) {
		t.Errorf("difference alert %q, want %q", alert.Params["text"], want)
	}

	bill := d.ask("/bill "+month, "What AWS billed")
	gross := days*(3+0.24+1.08+0.09+0.16+0.14+0.02) + 2
	for _, want := range []string{
		fmt.Sprintf("• EC2: estimated $%.2f · billed $%.2f · difference +$%.2f (mostly BoxUsage:t3.micro)", estEC2, billedEC2, billedEC2-estEC2),
		fmt.Sprintf("• EBS: estimated $%.2f · billed $%.2f · difference $0.00", days*0.24, days*0.24),
		fmt.Sprintf("• VPC: estimated $%.2f · billed $%.2f · difference $0.00", days*1.08, days*1.08),
		fmt.Sprintf("• Data transfer: $%.2f", days*0.09),
		fmt.Sprintf("• Amazon Lightsail: $%.2f", days*0.30),
		fmt.Sprintf("• Amazon Route 53: $%.2f", days*0.02),
		"• Tax: $2.00",
		"• Amazon Elastic Compute Cloud - Compute: -$5.00",
		fmt.Sprintf("Total billed: <b>$%.2f</b> gross · <b>$%.2f</b> net of credits", gross, gross-5), // under $1,000: no separators
		"(provisional)",
	} {
		if !strings.Contains(bill, want) {
			t.Errorf("/bill %s lacks %q:\n%s", month, want, bill)
		}
	}
	// This month's overage: 1 GB a day billed so far.
	if today.After(cur) {
		if ls := d.ask("/lightsail", "Lightsail overage"); !strings.Contains(ls, fmt.Sprintf("ap-northeast-1 %.2f GB", today.Sub(cur).Hours()/24)) {
			t.Errorf("/lightsail does not say the overage AWS billed:\n%s", ls)
		}
	}
	d.ask("/help", "<b>Commands</b>") // every push raised with the alert has been delivered by the time /help answers
	alerts := 0
	for _, c := range d.srv.Calls("sendMessage") {
		if strings.Contains(c.Params["text"], "EC2 billed $") {
			alerts++
		}
	}
	if alerts != 1 {
		t.Errorf("the difference alert arrived %d times, want once", alerts)
	}

	// Another account, where Cost Explorer is denied: /status says so, /cost answers.
	denied := t.TempDir()
	seedEstimate(t, filepath.Join(denied, "cost.db"), now.Truncate(time.Hour).Add(-3*time.Hour), now.Truncate(time.Hour))
	faults, ceURL := awstest.NewCostExplorerFaults(t, moto.URL)
	faults.Add(awstest.CEAccessDenied, awstest.CEAccessDenied, awstest.CEAccessDenied)
	d2 := startBillingDaemon(t, denied, moto, ceURL)
	d2.waitLog("job failed", "job=billing")
	status := d2.ask("/status", "costbot status")
	want := "access denied: allow ce:GetCostAndUsage in costbot&#39;s IAM policy"
	if n := strings.Count(status, want); n != 1 {
		t.Errorf("/status says %d times that Cost Explorer is denied, want one line:\n%s", n, status)
	}
	if cost := d2.ask("/cost", "AWS cost right now"); !strings.Contains(cost, "Burn rate") {
		t.Errorf("/cost with Cost Explorer denied:\n%s", cost)
	}
}

// `costbot doctor` says in one line what is wrong with Cost Explorer and how to fix it,
// for each way it fails, and exits 1.
func TestDoctorSaysWhatIsWrongWithCostExplorer(t *testing.T) {
	srv := tgtest.New(t)
	moto := awstest.StartMoto(t)
	tests := []struct {
		fault awstest.Fault
		want  string
	}{
		{awstest.CENotEnabled, "✗ cost explorer: " + models.BillingProblemAdvice[models.BillingNotEnabled]},
		{awstest.CEAccessDenied, "✗ cost explorer: " + models.BillingProblemAdvice[models.BillingAccessDenied]},
		{awstest.CEDataUnavailable, "✗ cost explorer: " + models.BillingProblemAdvice[models.BillingDataUnavailable]},
	}
	for _, tt := range tests {
		t.Run(tt.fault.Code, func(t *testing.T) {
			dir := t.TempDir()
			faults, ceURL := awstest.NewCostExplorerFaults(t, moto.URL)
			faults.Add(tt.fault)
			out, _, code := runBinary(t, dir, cleanEnv(append(unservedByMoto(t),
				"TELEGRAM_BOT_TOKEN="+srv.Token(), "TELEGRAM_API_URL="+srv.URL(), "TELEGRAM_CHAT_IDS=4242",
				"DB_PATH="+filepath.Join(dir, "cost.db"),
				"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
				"AWS_ENDPOINT_URL="+moto.URL, "AWS_ENDPOINT_URL_COST_EXPLORER="+ceURL)...,
			), "doctor")
			if code != 1 {
				t.Errorf("doctor exit %d, want 1", code)
			}
			var lines []string
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "✗ cost explorer") {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tt.want) {
				t.Errorf("doctor's cost explorer line %q, want one starting %q\n%s", lines, tt.want, out)
			}
		})
	}
	out, _, code := runBinary(t, t.TempDir(), cleanEnv(append(unservedByMoto(t), "TELEGRAM_BOT_TOKEN="+srv.Token(), "TELEGRAM_API_URL="+srv.URL(),
		"TELEGRAM_CHAT_IDS=4242", "COST_EXPLORER_INTERVAL=off", "DB_PATH="+filepath.Join(t.TempDir(), "c.db"),
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL="+moto.URL)...), "doctor")
	if code != 0 || !strings.Contains(out, "✓ cost explorer: off") {
		t.Errorf("doctor with COST_EXPLORER_INTERVAL=off: exit %d\n%s", code, out)
	}
}
