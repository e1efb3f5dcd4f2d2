package aws

import (
	"context"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"costbot/internal/awstest"
)

// seedChargeKinds adds to region what leads to every call of the charges beyond
// instances: load balancers of each kind with targets, an EBS snapshot and a manual RDS
// snapshot.
func seedChargeKinds(t *testing.T, ctx context.Context, m *awstest.Moto, region string) {
	t.Helper()
	cfg := m.Config(region)
	lbs := seedLoadBalancers(t, ctx, cfg, region, "10.44")
	api := ec2.NewFromConfig(cfg)
	vol := createVolume(t, ctx, api, &ec2.CreateVolumeInput{AvailabilityZone: lbs.backend.Placement.AvailabilityZone, Size: awssdk.Int32(8)}, "snap-src")
	if _, err := api.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId}); err != nil {
		t.Fatal(err)
	}
	db := rds.NewFromConfig(cfg)
	if _, err := db.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: awssdk.String("snapped"), DBInstanceClass: awssdk.String("db.t3.micro"),
		Engine: awssdk.String("mysql"), AllocatedStorage: awssdk.Int32(20), MasterUsername: awssdk.String("admin"), MasterUserPassword: awssdk.String("correct-horse-battery")}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBSnapshotIdentifier: awssdk.String("snapped-1"), DBInstanceIdentifier: awssdk.String("snapped")}); err != nil {
		t.Fatal(err)
	}
}
