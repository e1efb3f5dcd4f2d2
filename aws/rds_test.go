package aws

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestRDSInstances(t *testing.T) {
	created := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	rs := rdsInstances([]rdstypes.DBInstance{{
		DBInstanceIdentifier: awssdk.String("orders"), DBInstanceClass: awssdk.String("db.m5.large"),
		Engine: awssdk.String("sqlserver-se"), MultiAZ: awssdk.Bool(true), StorageType: awssdk.String("io2"),
		AllocatedStorage: awssdk.Int32(200), Iops: awssdk.Int32(12000), StorageThroughput: awssdk.Int32(500),
		LicenseModel: awssdk.String("license-included"), DBInstanceStatus: awssdk.String("stopped"),
		AvailabilityZone: awssdk.String("ap-northeast-1a"), InstanceCreateTime: awssdk.Time(created),
	}, {
		// A DB instance still being created has no zone, IOPS or throughput yet.
		DBInstanceIdentifier: awssdk.String("new"), DBInstanceClass: awssdk.String("db.t3.micro"), Engine: awssdk.String("mysql"),
		AllocatedStorage: awssdk.Int32(20), DBInstanceStatus: awssdk.String("creating"),
	}}, "ap-northeast-1")
	got := byID(t, rs)
	orders := mustFind(t, got, "orders")
	if orders.Name != "orders" || orders.Type != "db.m5.large" || orders.Kind != "db_instance" || orders.State != "stopped" ||
		orders.Region != "ap-northeast-1" || !orders.CreatedAt.Equal(created) {
		t.Errorf("resource = %+v", orders)
	}
	checkFacts(t, orders, map[string]string{
		"engine": "sqlserver-se", "multi_az": "true", "storage_type": "io2", "license_model": "license-included", "zone": "ap-northeast-1a",
	}, map[string]float64{"allocated_gb": 200, "iops": 12000, "throughput_mbps": 500})
	checkFacts(t, mustFind(t, got, "new"), map[string]string{"multi_az": "false", "zone": ""},
		map[string]float64{"allocated_gb": 20, "iops": 0, "throughput_mbps": 0})
}

type fakeRDS struct {
	pages   [][]rdstypes.DBInstance
	markers []string
}

func (f *fakeRDS) DescribeDBInstances(_ context.Context, in *rds.DescribeDBInstancesInput, _ ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	f.markers = append(f.markers, awssdk.ToString(in.Marker))
	p, next, err := page(f.pages, in.Marker)
	if err != nil {
		return nil, err
	}
	return &rds.DescribeDBInstancesOutput{DBInstances: p, Marker: next}, nil
}

func (f *fakeRDS) DescribeDBSnapshots(context.Context, *rds.DescribeDBSnapshotsInput, ...func(*rds.Options)) (*rds.DescribeDBSnapshotsOutput, error) {
	return &rds.DescribeDBSnapshotsOutput{}, nil
}

func TestRDSReadsEveryPage(t *testing.T) {
	f := &fakeRDS{pages: [][]rdstypes.DBInstance{
		{{DBInstanceIdentifier: awssdk.String("a")}},
		{{DBInstanceIdentifier: awssdk.String("b")}},
	}}
	c := &rdsCollector{client: func(awssdk.Config) rdsAPI { return f }, metrics: func(awssdk.Config) MetricsAPI { return &fakeMetrics{} }, now: time.Now}
	rs, err := c.Collect(t.Context(), awssdk.Config{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(byID(t, rs))); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("instances = %v", got)
	}
	if !slices.Equal(f.markers, []string{"", "page-1"}) {
		t.Errorf("markers = %q", f.markers)
	}
}

func TestRDSAgainstMoto(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	type db struct {
		region string
		in     rds.CreateDBInstanceInput
	}
	dbs := []db{
		{"us-east-1", rds.CreateDBInstanceInput{DBInstanceIdentifier: awssdk.String("shop"), DBInstanceClass: awssdk.String("db.t3.micro"),
			Engine: awssdk.String("mysql"), EngineVersion: awssdk.String("5.7.44"), AllocatedStorage: awssdk.Int32(20), StorageType: awssdk.String("gp2"),
			PubliclyAccessible: awssdk.Bool(true)}},
		{"us-east-1", rds.CreateDBInstanceInput{DBInstanceIdentifier: awssdk.String("gone"), DBInstanceClass: awssdk.String("db.t3.micro"),
			Engine: awssdk.String("mysql"), AllocatedStorage: awssdk.Int32(50), StorageType: awssdk.String("gp2")}},
		{"us-east-1", rds.CreateDBInstanceInput{DBInstanceIdentifier: awssdk.String("ledger"), DBInstanceClass: awssdk.String("db.r5.large"),
			Engine: awssdk.String("postgres"), AllocatedStorage: awssdk.Int32(400), StorageType: awssdk.String("io1"), Iops: awssdk.Int32(5000)}},
		{"eu-west-1", rds.CreateDBInstanceInput{DBInstanceIdentifier: awssdk.String("crm"), DBInstanceClass: awssdk.String("db.m5.large"),
			Engine: awssdk.String("postgres"), AllocatedStorage: awssdk.Int32(100), StorageType: awssdk.String("gp3"),
			Iops: awssdk.Int32(12000), StorageThroughput: awssdk.Int32(500), MultiAZ: awssdk.Bool(true)}},
	}
	created := map[string]*rdstypes.DBInstance{}
	for _, d := range dbs {
		in := d.in
		in.MasterUsername, in.MasterUserPassword = awssdk.String("admin"), awssdk.String("correct-horse-battery")
		out, err := rds.NewFromConfig(m.Config(d.region)).CreateDBInstance(ctx, &in)
		if err != nil {
			t.Fatalf("create %s: %v", *d.in.DBInstanceIdentifier, err)
		}
		created[*d.in.DBInstanceIdentifier] = out.DBInstance
	}

	// A manual snapshot of a live instance, and one of an instance since deleted.
	us := rds.NewFromConfig(m.Config("us-east-1"))
	for _, snap := range [][2]string{{"shop-before-upgrade", "shop"}, {"gone-final", "gone"}} {
		if _, err := us.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBSnapshotIdentifier: &snap[0], DBInstanceIdentifier: &snap[1]}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := us.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: awssdk.String("gone"), SkipFinalSnapshot: awssdk.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	dbs = slices.DeleteFunc(dbs, func(d db) bool { return *d.in.DBInstanceIdentifier == "gone" })
	now := time.Now()
	_, end := lastHour(now)
	putMetric(t, ctx, m.Config("us-east-1"), "AWS/RDS", "TotalBackupStorageBilled", map[string]string{"DBInstanceIdentifier": "shop"},
		end.Add(-3*time.Hour), 7<<30, cwtypes.StandardUnitBytes)

	c := newRDSCollector()
	c.now = func() time.Time { return now }
	got := map[string]map[string]models.Resource{}
	for _, region := range twoRegions {
		got[region] = byID(t, collectIn(t, ctx, c, m, region))
	}
	if ids := slices.Sorted(maps.Keys(got["us-east-1"])); !slices.Equal(ids, []string{"gone-final", "ledger", "shop", "shop-before-upgrade", "shop/backup"}) {
		t.Errorf("us-east-1 = %v", ids)
	}
	t.Run("backups", func(t *testing.T) {
		us := got["us-east-1"]
		backup := mustFind(t, us, "shop/backup")
		if backup.Kind != models.KindBackupStorage {
			t.Errorf("backup = %+v", backup)
		}
		checkFacts(t, backup, map[string]string{"db_instance": "shop"}, map[string]float64{"billed_bytes": 7 << 30})
		live, orphan := mustFind(t, us, "shop-before-upgrade"), mustFind(t, us, "gone-final")
		if live.Kind != models.KindSnapshot || orphan.Kind != models.KindSnapshot {
			t.Errorf("snapshots = %+v, %+v", live, orphan)
		}
		checkFacts(t, live, map[string]string{"db_instance": "shop", "billed_with": "shop"}, map[string]float64{"size_gb": 20})
		checkFacts(t, orphan, map[string]string{"db_instance": "gone", "billed_with": "", "upper_bound": "true"}, map[string]float64{"size_gb": 50})
		checkFacts(t, mustFind(t, us, "shop"), map[string]string{"engine_version": "5.7.44"}, nil)
	})
	if ids := slices.Sorted(maps.Keys(got["eu-west-1"])); !slices.Equal(ids, []string{"crm"}) {
		t.Errorf("eu-west-1 = %v", ids)
	}
	for _, d := range dbs {
		t.Run(*d.in.DBInstanceIdentifier, func(t *testing.T) {
			r := mustFind(t, got[d.region], *d.in.DBInstanceIdentifier)
			out := created[r.ID]
			if r.Type != *d.in.DBInstanceClass || r.State != awssdk.ToString(out.DBInstanceStatus) || r.State == "" {
				t.Errorf("resource = %+v", r)
			}
			multiAZ := "false"
			if awssdk.ToBool(d.in.MultiAZ) {
				multiAZ = "true"
			}
			checkFacts(t, r, map[string]string{
				"engine": *d.in.Engine, "multi_az": multiAZ, "storage_type": *d.in.StorageType,
				"license_model": awssdk.ToString(out.LicenseModel), "zone": awssdk.ToString(out.AvailabilityZone),
			}, map[string]float64{
				"allocated_gb":    float64(*d.in.AllocatedStorage),
				"iops":            float64(awssdk.ToInt32(d.in.Iops)),
				"throughput_mbps": float64(awssdk.ToInt32(d.in.StorageThroughput)),
			})
		})
	}
}

// Billed backup storage is read per Aurora cluster (once, however many instances it has)
// and per DB instance otherwise.
func TestBackupOwners(t *testing.T) {
	db := func(id, cluster string) models.Resource {
		return models.Resource{ID: id, Attrs: map[string]string{"cluster": cluster}}
	}
	got := backupOwners([]models.Resource{db("shop", ""), db("aurora-1", "orders"), db("aurora-2", "orders")})
	want := []backupOwner{{"DBInstanceIdentifier", "shop"}, {"DBClusterIdentifier", "orders"}}
	if !slices.Equal(got, want) {
		t.Errorf("backup owners = %v, want %v", got, want)
	}
}
