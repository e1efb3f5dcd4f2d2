package aws

import (
	"context"
	"fmt"
	"strconv"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"golang.org/x/sync/errgroup"

	"costbot/models"
)

func init() { register(newRDSCollector()) }

// rdsAPI is the part of RDS the collector uses.
type rdsAPI interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, optFns ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DescribeDBSnapshots(ctx context.Context, in *rds.DescribeDBSnapshotsInput, optFns ...func(*rds.Options)) (*rds.DescribeDBSnapshotsOutput, error)
}

// rdsCollector lists DB instances with what their instance hours, storage and Extended
// Support are priced by, the backup storage each is billed for beyond the free
// allowance, and the manual snapshots.
type rdsCollector struct {
	client  func(awssdk.Config) rdsAPI
	metrics func(awssdk.Config) MetricsAPI
	now     func() time.Time
}

func newRDSCollector() *rdsCollector {
	return &rdsCollector{
		client:  func(cfg awssdk.Config) rdsAPI { return rds.NewFromConfig(cfg) },
		metrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		now:     time.Now,
	}
}

func (c *rdsCollector) Name() string { return "rds" }
func (c *rdsCollector) Global() bool { return false }

func (c *rdsCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	api := c.client(cfg)
	var instances []models.Resource
	var snapshots []rdstypes.DBSnapshot
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		p := rds.NewDescribeDBInstancesPaginator(api, &rds.DescribeDBInstancesInput{MaxRecords: awssdk.Int32(100)})
		for p.HasMorePages() {
			page, err := p.NextPage(gctx)
			if err != nil {
				return fmt.Errorf("rds %s: describe db instances: %w", cfg.Region, err)
			}
			instances = append(instances, rdsInstances(page.DBInstances, cfg.Region)...)
		}
		return nil
	})
	g.Go(func() error {
		p := rds.NewDescribeDBSnapshotsPaginator(api, &rds.DescribeDBSnapshotsInput{SnapshotType: awssdk.String("manual"), MaxRecords: awssdk.Int32(100)})
		for p.HasMorePages() {
			page, err := p.NextPage(gctx)
			if err != nil {
				return fmt.Errorf("rds %s: describe db snapshots: %w", cfg.Region, err)
			}
			snapshots = append(snapshots, page.DBSnapshots...)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var billed []metricSeries
	owners := backupOwners(instances)
	if len(owners) > 0 {
		queries := make([]metricQuery, len(owners))
		for i, o := range owners {
			queries[i] = metricQuery{Namespace: "AWS/RDS", Metric: "TotalBackupStorageBilled",
				Dimensions: map[string]string{o.dimension: o.id}, Stat: cwtypes.StatisticAverage}
		}
		// AWS updates the backup storage figures a few times a day: the last day's latest.
		_, end := lastHour(c.now())
		var err error
		if billed, err = readMetrics(ctx, c.metrics(cfg), queries, end.Add(-24*time.Hour), end, time.Hour); err != nil {
			return nil, fmt.Errorf("rds %s: backup storage: %w", cfg.Region, err)
		}
	}
	out := append(instances, rdsBackupStorage(owners, billed, cfg.Region)...)
	return append(out, rdsSnapshots(snapshots, instances, cfg.Region)...), nil
}

// backupOwner is what CloudWatch reports billed backup storage for: an Aurora cluster
// (DBClusterIdentifier) or a DB instance (DBInstanceIdentifier).
type backupOwner struct{ dimension, id string }

// backupOwners are the instances' backup owners, each cluster once.
func backupOwners(instances []models.Resource) []backupOwner {
	var out []backupOwner
	seen := map[string]bool{}
	for _, db := range instances {
		o := backupOwner{"DBInstanceIdentifier", db.ID}
		if c := db.Attr("cluster"); c != "" {
			o = backupOwner{"DBClusterIdentifier", c}
		}
		if !seen[o.dimension+o.id] {
			seen[o.dimension+o.id] = true
			out = append(out, o)
		}
	}
	return out
}

// rdsBackupStorage is, for each owner CloudWatch has a figure for, the backup storage
// billed beyond the free allowance (TotalBackupStorageBilled: automated backups and
// manual snapshots together).
func rdsBackupStorage(owners []backupOwner, billed []metricSeries, region string) []models.Resource {
	var out []models.Resource
	for i, o := range owners {
		if i >= len(billed) {
			break
		}
		bytes, ok := billed[i].Latest()
		if !ok {
			continue
		}
		attr := "db_instance"
		if o.dimension == "DBClusterIdentifier" {
			attr = "db_cluster"
		}
		out = append(out, models.Resource{
			Service: "rds",
			Region:  region,
			ID:      o.id + "/backup",
			Name:    o.id + " backups",
			Kind:    models.KindBackupStorage,
			Type:    "backup",
			State:   "available",
			Attrs:   map[string]string{attr: o.id},
			Usage:   map[string]float64{"billed_bytes": bytes},
		})
	}
	return out
}

// rdsSnapshots turns manual snapshots into resources. One whose instance still exists is
// billed within that instance's backup storage; one whose instance is gone is billed on
// its own, at most its allocated size (AWS does not expose the billed size).
func rdsSnapshots(snaps []rdstypes.DBSnapshot, instances []models.Resource, region string) []models.Resource {
	live := map[string]bool{}
	for _, db := range instances {
		live[db.ID] = true
	}
	out := make([]models.Resource, 0, len(snaps))
	for _, s := range snaps {
		id := awssdk.ToString(s.DBSnapshotIdentifier)
		db := awssdk.ToString(s.DBInstanceIdentifier)
		r := models.Resource{
			Service:   "rds",
			Region:    region,
			ID:        id,
			Name:      id,
			Kind:      models.KindSnapshot,
			Type:      "manual",
			State:     awssdk.ToString(s.Status),
			CreatedAt: awssdk.ToTime(s.SnapshotCreateTime).UTC(),
			Attrs:     map[string]string{"db_instance": db, "engine": awssdk.ToString(s.Engine), "upper_bound": "true"},
			Usage:     map[string]float64{"size_gb": float64(awssdk.ToInt32(s.AllocatedStorage))},
		}
		if live[db] {
			r.Attrs["billed_with"] = db
		}
		out = append(out, r)
	}
	return out
}

// rdsInstances turns DB instances into resources of region.
func rdsInstances(dbs []rdstypes.DBInstance, region string) []models.Resource {
	out := make([]models.Resource, 0, len(dbs))
	for _, db := range dbs {
		id := awssdk.ToString(db.DBInstanceIdentifier)
		out = append(out, models.Resource{
			Service:   "rds",
			Region:    region,
			ID:        id,
			Name:      id,
			Kind:      models.KindDBInstance,
			Type:      awssdk.ToString(db.DBInstanceClass),
			State:     awssdk.ToString(db.DBInstanceStatus),
			CreatedAt: awssdk.ToTime(db.InstanceCreateTime).UTC(),
			Attrs: map[string]string{
				"engine":         awssdk.ToString(db.Engine),
				"engine_version": awssdk.ToString(db.EngineVersion),
				"multi_az":       strconv.FormatBool(awssdk.ToBool(db.MultiAZ)),
				"storage_type":   awssdk.ToString(db.StorageType),
				"license_model":  awssdk.ToString(db.LicenseModel),
				"zone":           awssdk.ToString(db.AvailabilityZone),
				"cluster":        awssdk.ToString(db.DBClusterIdentifier),
			},
			Usage: map[string]float64{
				"allocated_gb":    float64(awssdk.ToInt32(db.AllocatedStorage)),
				"iops":            float64(awssdk.ToInt32(db.Iops)),
				"throughput_mbps": float64(awssdk.ToInt32(db.StorageThroughput)),
			},
		})
	}
	return out
}
