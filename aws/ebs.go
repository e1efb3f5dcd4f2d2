package aws

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"

	"costbot/models"
)

func init() { register(newEBSCollector()) }

// ebsAPI is the part of EC2 the volume collector uses.
type ebsAPI interface {
	DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error)
	DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error)
}

// ebsCollector lists every EBS volume (a volume costs the same attached or not) and
// every snapshot the account owns.
type ebsCollector struct {
	client  func(awssdk.Config) ebsAPI
	account func(context.Context, awssdk.Config) (string, error)
}

func newEBSCollector() *ebsCollector {
	return &ebsCollector{client: func(cfg awssdk.Config) ebsAPI { return ec2.NewFromConfig(cfg) }, account: AccountID}
}

func (c *ebsCollector) Name() string { return "ebs" }
func (c *ebsCollector) Global() bool { return false }

func (c *ebsCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	api := c.client(cfg)
	var volumes, snapshots []models.Resource
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		p := ec2.NewDescribeVolumesPaginator(api, &ec2.DescribeVolumesInput{MaxResults: awssdk.Int32(500)})
		for p.HasMorePages() {
			page, err := p.NextPage(gctx)
			if err != nil {
				return fmt.Errorf("ebs %s: describe volumes: %w", cfg.Region, err)
			}
			volumes = append(volumes, ebsVolumes(page.Volumes, cfg.Region)...)
		}
		return nil
	})
	g.Go(func() error {
		// OwnerIds self asks for the account's own snapshots; the owner is checked again
		// because some endpoints (moto) ignore the parameter and list public ones too.
		account, err := c.account(gctx, cfg)
		if err != nil {
			return fmt.Errorf("ebs %s: %w", cfg.Region, err)
		}
		p := ec2.NewDescribeSnapshotsPaginator(api, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: awssdk.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(gctx)
			if err != nil {
				return fmt.Errorf("ebs %s: describe snapshots: %w", cfg.Region, err)
			}
			own := slices.DeleteFunc(page.Snapshots, func(s ec2types.Snapshot) bool {
				return awssdk.ToString(s.OwnerId) != "" && awssdk.ToString(s.OwnerId) != account
			})
			snapshots = append(snapshots, ebsSnapshots(own, cfg.Region)...)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return append(volumes, snapshots...), nil
}

// ebsSnapshots turns snapshots into resources of region, sized by what is known of the
// billed size. AWS bills a standard snapshot for the blocks it alone holds, which no API
// exposes: its full size (every block written to the volume, else the volume's size)
// is an upper bound. An archived snapshot is billed its full size.
func ebsSnapshots(snaps []ec2types.Snapshot, region string) []models.Resource {
	out := make([]models.Resource, 0, len(snaps))
	for _, s := range snaps {
		tier := "standard"
		if s.StorageTier == ec2types.StorageTierArchive {
			tier = "archive"
		}
		size := float64(awssdk.ToInt32(s.VolumeSize))
		exact := false
		if s.FullSnapshotSizeInBytes != nil {
			size = float64(*s.FullSnapshotSizeInBytes) / (1 << 30)
			exact = tier == "archive"
		}
		name := ec2Tag(s.Tags, "Name")
		if name == "" {
			name = awssdk.ToString(s.Description)
		}
		out = append(out, models.Resource{
			Service:   "ebs",
			Region:    region,
			ID:        awssdk.ToString(s.SnapshotId),
			Name:      name,
			Kind:      models.KindSnapshot,
			Type:      tier,
			State:     string(s.State),
			CreatedAt: awssdk.ToTime(s.StartTime).UTC(),
			Attrs: map[string]string{
				"volume_id":   awssdk.ToString(s.VolumeId),
				"upper_bound": strconv.FormatBool(!exact),
			},
			Usage: map[string]float64{"size_gb": size},
		})
	}
	return out
}

// ebsVolumes turns volumes into resources of region. An available (unattached) volume
// is waste.
func ebsVolumes(volumes []ec2types.Volume, region string) []models.Resource {
	out := make([]models.Resource, 0, len(volumes))
	for _, v := range volumes {
		var attachedTo []string
		for _, a := range v.Attachments {
			if id := awssdk.ToString(a.InstanceId); id != "" {
				attachedTo = append(attachedTo, id)
			}
		}
		r := models.Resource{
			Service:   "ebs",
			Region:    region,
			ID:        awssdk.ToString(v.VolumeId),
			Name:      ec2Tag(v.Tags, "Name"),
			Kind:      models.KindVolume,
			Type:      string(v.VolumeType),
			State:     string(v.State),
			CreatedAt: awssdk.ToTime(v.CreateTime).UTC(),
			Attrs: map[string]string{
				"zone":        awssdk.ToString(v.AvailabilityZone),
				"attached_to": strings.Join(attachedTo, ","),
			},
			Usage: map[string]float64{
				"size_gb":         float64(awssdk.ToInt32(v.Size)),
				"iops":            float64(awssdk.ToInt32(v.Iops)),
				"throughput_mbps": float64(awssdk.ToInt32(v.Throughput)),
			},
		}
		if v.State == ec2types.VolumeStateAvailable {
			r.Waste = true
			r.WasteReason = "volume is not attached to any instance"
		}
		out = append(out, r)
	}
	return out
}
