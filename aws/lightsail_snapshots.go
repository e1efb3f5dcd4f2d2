package aws

import (
	"context"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lightsail"
	lstypes "github.com/aws/aws-sdk-go-v2/service/lightsail/types"
	"golang.org/x/sync/errgroup"

	"costbot/models"
)

// lightsailSnapshotsAPI lists Lightsail's instance and disk snapshots, which are billed
// per GB-month of the space they use.
type lightsailSnapshotsAPI interface {
	GetInstanceSnapshots(ctx context.Context, in *lightsail.GetInstanceSnapshotsInput, optFns ...func(*lightsail.Options)) (*lightsail.GetInstanceSnapshotsOutput, error)
	GetDiskSnapshots(ctx context.Context, in *lightsail.GetDiskSnapshotsInput, optFns ...func(*lightsail.Options)) (*lightsail.GetDiskSnapshotsOutput, error)
}

// lightsailSnapshots lists every instance and disk snapshot of the region.
func lightsailSnapshots(ctx context.Context, api lightsailSnapshotsAPI, region string) ([]models.Resource, error) {
	var instances []lstypes.InstanceSnapshot
	var disks []lstypes.DiskSnapshot
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		instances, err = getAllPages(gctx, func(ctx context.Context, token *string) ([]lstypes.InstanceSnapshot, *string, error) {
			out, err := api.GetInstanceSnapshots(ctx, &lightsail.GetInstanceSnapshotsInput{PageToken: token})
			if err != nil {
				return nil, nil, err
			}
			return out.InstanceSnapshots, out.NextPageToken, nil
		})
		if err != nil {
			return fmt.Errorf("lightsail %s: get instance snapshots: %w", region, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		disks, err = getAllPages(gctx, func(ctx context.Context, token *string) ([]lstypes.DiskSnapshot, *string, error) {
			out, err := api.GetDiskSnapshots(ctx, &lightsail.GetDiskSnapshotsInput{PageToken: token})
			if err != nil {
				return nil, nil, err
			}
			return out.DiskSnapshots, out.NextPageToken, nil
		})
		if err != nil {
			return fmt.Errorf("lightsail %s: get disk snapshots: %w", region, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return lightsailSnapshotResources(instances, disks, region), nil
}

// lightsailSnapshotResources turns snapshots into resources sized by their source
// (sizeInGb): Lightsail bills the space a snapshot uses, which it does not expose, so
// the size is an upper bound.
func lightsailSnapshotResources(instances []lstypes.InstanceSnapshot, disks []lstypes.DiskSnapshot, region string) []models.Resource {
	out := make([]models.Resource, 0, len(instances)+len(disks))
	snapshot := func(name, typ, source, state string, size int32, created *time.Time) models.Resource {
		return models.Resource{
			Service:   "lightsail",
			Region:    region,
			ID:        "snapshot/" + name,
			Name:      name,
			Kind:      models.KindSnapshot,
			Type:      typ,
			State:     state,
			CreatedAt: awssdk.ToTime(created).UTC(),
			Attrs:     map[string]string{"source": source, "upper_bound": "true"},
			Usage:     map[string]float64{"size_gb": float64(size)},
		}
	}
	for _, s := range instances {
		out = append(out, snapshot(awssdk.ToString(s.Name), "instance", awssdk.ToString(s.FromInstanceName), string(s.State), awssdk.ToInt32(s.SizeInGb), s.CreatedAt))
	}
	for _, s := range disks {
		source := awssdk.ToString(s.FromDiskName)
		if source == "" {
			source = awssdk.ToString(s.FromInstanceName)
		}
		out = append(out, snapshot(awssdk.ToString(s.Name), "disk", source, string(s.State), awssdk.ToInt32(s.SizeInGb), s.CreatedAt))
	}
	return out
}
