package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	tgbot "github.com/go-telegram/bot"
	"github.com/jonboulle/clockwork"

	costaws "costbot/aws"
	"costbot/bot"
	"costbot/config"
	"costbot/internal/awstest"
	"costbot/internal/tgtest"
	"costbot/jobs"
	"costbot/models"
	"costbot/pricing"
)

// TestCostCommandsEndToEnd is issue 5's done-when: costbot's collect job against a
// seeded emulator and the Pricing API server, and the bot against a Bot API test server:
// /cost, /service ec2, /bill and /chart answer with the figures the scan priced, to the
// cent; the buttons work; after a month change the closed bill is pushed once.
func TestCostCommandsEndToEnd(t *testing.T) {
	moto := awstest.StartMoto(t)
	moto.Reset(t)
	ctx := awstest.Context(t)
	east := ec2.NewFromConfig(moto.Config("us-east-1"))
	if _, err := east.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: awssdk.String("ami-12c6146b"),
		InstanceType: ec2types.InstanceTypeM5Large, MinCount: awssdk.Int32(2), MaxCount: awssdk.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	// moto gives each instance an 8 GB gp2 root volume; add a 100 GB gp3 one.
	if _, err := east.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: awssdk.String("us-east-1a"),
		Size: awssdk.Int32(100), VolumeType: ec2types.VolumeTypeGp3}); err != nil {
		t.Fatal(err)
	}
	// List prices: m5.large $0.096/h; gp3 $0.08 and gp2 $0.10 per GB-month (÷ 730).
	const burn = 2*0.096 + 100*0.08/730 + 2*8*0.10/730

	srv := tgtest.New(t)
	pricingAPI := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	cfg, err := config.Parse(func(k string) (string, bool) {
		v, ok := map[string]string{
			"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.URL(),
			"TELEGRAM_CHAT_IDS": "4242", "TELEGRAM_ADMIN_IDS": "4242", "BOT_LANG": "en",
			"COST_REGIONS": "us-east-1", "COST_SERVICES": "ec2,ebs", "REPORT_TZ": "UTC",
		}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := models.Open(filepath.Join(t.TempDir(), "cost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 30, 22, 5, 0, 0, time.UTC))
	scanner := &costaws.Scanner{Base: moto.Config("us-east-1"), Regions: cfg.CostRegions, Services: cfg.CostServices, Concurrency: 4, Now: clock.Now}
	pricer := pricing.New(store, pricing.NewAPIClient(pricingAPI.Config()), pricing.Options{Now: clock.Now})
	opts := jobs.CollectorOptionsFrom(cfg, nil)
	opts.Clock = clock
	api, err := bot.NewAPI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	deliverer := jobs.NewDeliverer(store, bot.NewSender(api), jobs.DelivererOptions{PerChatInterval: time.Millisecond, Tick: 20 * time.Millisecond})
	notifier, err := bot.NewNotifier(cfg, store, deliverer.Notify, nil)
	if err != nil {
		t.Fatal(err)
	}
	collector := jobs.NewCollector(store, scanner, pricer, notifier, opts)
	tg, err := bot.New(cfg, bot.Deps{Store: store, Version: "test", StartedAt: clock.Now(), Now: clock.Now, Collector: collector},
		tgbot.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { tg.Run(runCtx); done <- struct{}{} }()
	go func() { deliverer.Run(runCtx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	srv.WaitCall(t, "getUpdates", nil, 10*time.Second)

	collect := func() {
		t.Helper()
		if _, err := collector.Collect(ctx); err != nil {
			t.Fatalf("collect at %v: %v", clock.Now(), err)
		}
	}
	collect() // 22:00
	clock.Advance(time.Hour)
	collect() // 23:00

	ask := func(text, method string) tgtest.Call {
		t.Helper()
		sent := time.Now()
		srv.SendMessage(4242, 4242, text)
		return srv.WaitCall(t, method, func(c tgtest.Call) bool {
			return c.At.After(sent) && c.Params["chat_id"] == "4242"
		}, 10*time.Second)
	}
	rate := fmt.Sprintf("$%.4f", burn)
	month := fmt.Sprintf("$%.2f", 2*burn)

	cost := ask("/cost", "sendMessage")
	for _, want := range []string{rate, month} {
		if !strings.Contains(cost.Params["text"], want) {
			t.Errorf("/cost lacks %s:\n%s", want, cost.Params["text"])
		}
	}
	if len(cost.Keyboard()) == 0 {
		t.Fatalf("/cost has no buttons")
	}

	service := ask("/service ec2", "sendMessage")
	if n := strings.Count(service.Params["text"], "$0.0960"); n != 2 {
		t.Errorf("/service ec2 shows the m5.large price %d times, want 2:\n%s", n, service.Params["text"])
	}

	bill := ask("/bill 2026-11", "sendMessage")
	if !strings.Contains(bill.Params["text"], month) {
		t.Errorf("/bill 2026-11 lacks %s:\n%s", month, bill.Params["text"])
	}

	chart := ask("/chart 24h", "sendPhoto")
	var photo []byte
	for _, f := range chart.Files {
		photo = f.Data
	}
	if img, err := png.Decode(bytes.NewReader(photo)); err != nil || img.Bounds().Dx() < 400 {
		t.Errorf("/chart photo is not a readable PNG: %v", err)
	}

	// A button: the first of /cost's keyboard (a service view) edits or answers.
	var data string
	for _, row := range cost.Keyboard() {
		for _, b := range row {
			if data == "" && b.CallbackData != "" {
				data = b.CallbackData
			}
		}
	}
	pressed := time.Now()
	srv.PressButton(4242, 4242, cost.MessageID(), data)
	after := func(c tgtest.Call) bool { return c.At.After(pressed) }
	srv.WaitCall(t, "answerCallbackQuery", after, 10*time.Second)
	if edit := srv.WaitCall(t, "editMessageText", after, 10*time.Second); !strings.Contains(edit.Params["text"], "$0.0960") {
		t.Errorf("the EC2 button shows:\n%s", edit.Params["text"])
	}

	// The month changes: November's bill is closed and pushed once, however often the
	// job runs afterwards.
	clock.Advance(time.Hour) // 2026-12-01 00:05
	collect()
	collect()
	pushed := srv.WaitCall(t, "sendMessage", func(c tgtest.Call) bool {
		return strings.Contains(c.Params["text"], "2026-11") && strings.Contains(c.Params["text"], "2026-11 is final")
	}, 10*time.Second)
	if !strings.Contains(pushed.Params["text"], month) {
		t.Errorf("closed bill push lacks %s:\n%s", month, pushed.Params["text"])
	}
	clock.Advance(time.Hour)
	collect()
	// Everything queued has gone out by now: the outbox is empty.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _ := store.PendingCount(ctx)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pushes still pending", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	closed := 0
	for _, c := range srv.Calls("sendMessage") {
		if strings.Contains(c.Params["text"], "2026-11") && strings.Contains(c.Params["text"], "2026-11 is final") {
			closed++
		}
	}
	if closed != 1 {
		t.Errorf("the closed bill was pushed %d times, want once", closed)
	}
}
