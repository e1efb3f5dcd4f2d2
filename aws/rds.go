package aws

import (
	"context"
	"fmt"
	"strconv"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"costbot/models"
)

func init() { register(newRDSCollector()) }

// rdsAPI is the part of RDS the collector uses.
type rdsAPI interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, optFns ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
}

// rdsCollector lists DB instances with what their instance hours and storage are priced
// by.
type rdsCollector struct {
	client func(awssdk.Config) rdsAPI
}

func newRDSCollector() *rdsCollector {
	return &rdsCollector{client: func(cfg awssdk.Config) rdsAPI { return rds.NewFromConfig(cfg) }}
}

func (c *rdsCollector) Name() string { return "rds" }
func (c *rdsCollector) Global() bool { return false }

func (c *rdsCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	p := rds.NewDescribeDBInstancesPaginator(c.client(cfg), &rds.DescribeDBInstancesInput{MaxRecords: awssdk.Int32(100)})
	var out []models.Resource
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("rds %s: describe db instances: %w", cfg.Region, err)
		}
		out = append(out, rdsInstances(page.DBInstances, cfg.Region)...)
	}
	return out, nil
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
				"engine":        awssdk.ToString(db.Engine),
				"multi_az":      strconv.FormatBool(awssdk.ToBool(db.MultiAZ)),
				"storage_type":  awssdk.ToString(db.StorageType),
				"license_model": awssdk.ToString(db.LicenseModel),
				"zone":          awssdk.ToString(db.AvailabilityZone),
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
