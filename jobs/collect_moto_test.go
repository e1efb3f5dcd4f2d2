package jobs

import (
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

// TestCollectAgainstMoto runs the real Scanner, the real Pricer (against the in-process
// Pricing API) and the collect job against moto_server: EC2 instances and EBS volumes
// become cost rows, and what disappears from the account goes inactive.
func TestCollectAgainstMoto(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	api := ec2.NewFromConfig(m.Config("us-east-1"))

	run := func(name string) string {
		t.Helper()
		out, err := api.RunInstances(ctx, &ec2.RunInstancesInput{
			ImageId: awssdk.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro,
			MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
				Tags: []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String(name)}}}},
		})
		if err != nil {
			t.Fatalf("run instance %s: %v", name, err)
		}
		return awssdk.ToString(out.Instances[0].InstanceId)
	}
	volume := func(name string, gb int32) string {
		t.Helper()
		out, err := api.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: awssdk.String("us-east-1a"),
			Size: awssdk.Int32(gb), VolumeType: ec2types.VolumeTypeGp3,
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume,
				Tags: []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String(name)}}}}})
		if err != nil {
			t.Fatalf("create volume %s: %v", name, err)
		}
		return awssdk.ToString(out.VolumeId)
	}
	web, worker := run("web"), run("worker")
	data, spare := volume("data", 100), volume("spare", 20)

	store := openStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC))
	prices := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	scanner := &aws.Scanner{Base: m.Config("us-east-1"), Regions: []string{"us-east-1"}, Services: []string{"ec2", "ebs"},
		Concurrency: 2, TaskTimeout: time.Minute}
	pricer := pricing.New(store, pricing.NewAPIClient(prices.Config()), pricing.Options{Now: clock.Now})
	c := NewCollector(store, scanner, pricer, &fakeNotifier{}, CollectorOptions{Clock: clock})

	sum, err := c.CollectNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Errors) != 0 {
		t.Fatalf("scan errors: %v", sum.Errors)
	}
	hour10 := time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)
	recs := hourRecords(t, store, hour10)
	for _, id := range []string{web, worker} {
		r := recs[id]
		if r.Service != "ec2" || r.Type != "t3.micro" || r.PriceSource != models.SourceAPI || r.Estimated || r.AccountID == "" {
			t.Errorf("instance %s = %+v", id, r)
		}
		approx(t, id+" hour", r.CostUSD, t3MicroUSD)
	}
	approx(t, "data volume hour", recs[data].CostUSD, 100*gp3GBMonth/models.HoursPerMonth)
	approx(t, "spare volume hour", recs[spare].CostUSD, 20*gp3GBMonth/models.HoursPerMonth)
	total := 0.0
	for _, r := range recs {
		total += r.CostUSD
	}
	ch := costHour(t, store, hour10)
	approx(t, "hour total", ch.TotalUSD, total)
	if ch.ResourceCount != len(recs) || sum.Resources != len(recs) || sum.Unpriced != 0 {
		t.Errorf("cost hour %+v, summary %+v, %d records", ch, sum, len(recs))
	}
	var ec2Summary models.CostSummary
	store.DB().Where("hour = ? AND service = ? AND region = ?", hour10, "ec2", "us-east-1").Take(&ec2Summary)
	approx(t, "ec2 summary", ec2Summary.CostUSD, 2*t3MicroUSD)
	if ec2Summary.ResourceCount != 2 {
		t.Errorf("ec2 summary = %+v", ec2Summary)
	}
	res := resourceRows(t, store)
	if res[web].Name != "web" || !res[web].Active || res[data].Name != "data" || res[data].Kind != models.KindVolume {
		t.Errorf("resources: web %+v, data %+v", res[web], res[data])
	}

	// An hour later the worker is terminated and the spare volume deleted.
	if _, err := api.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{worker}}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: awssdk.String(spare)}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if _, err := c.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	recs = hourRecords(t, store, hour10.Add(time.Hour))
	if _, ok := recs[worker]; ok {
		t.Error("the terminated worker still costs at 11:00")
	}
	if _, ok := recs[spare]; ok {
		t.Error("the deleted volume still costs at 11:00")
	}
	res = resourceRows(t, store)
	if res[worker].Active || res[spare].Active || !res[web].Active || !res[data].Active {
		t.Errorf("active: worker %v spare %v web %v data %v", res[worker].Active, res[spare].Active, res[web].Active, res[data].Active)
	}
	bill := monthRows(t, store, "2026-05")
	approx(t, "ec2 bill", bill["ec2"].CostUSD, 3*t3MicroUSD)
	var ebsHours float64
	store.DB().Raw("SELECT SUM(cost_usd) FROM cost_records WHERE service = ?", "ebs").Scan(&ebsHours)
	approx(t, "ebs bill", bill["ebs"].CostUSD, ebsHours)
	if bill["ec2"].Hours != 2 || bill["ec2"].EstimatedHours != 0 {
		t.Errorf("ec2 bill = %+v", bill["ec2"])
	}
}
