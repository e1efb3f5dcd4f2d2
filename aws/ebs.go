package aws

import (
	"context"
	"fmt"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"costbot/models"
)

func init() { register(newEBSCollector()) }

// ebsAPI is the part of EC2 the volume collector uses.
type ebsAPI interface {
	DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error)
}

// ebsCollector lists every EBS volume; a volume costs the same attached or not.
type ebsCollector struct {
	client func(awssdk.Config) ebsAPI
}

func newEBSCollector() *ebsCollector {
	return &ebsCollector{client: func(cfg awssdk.Config) ebsAPI { return ec2.NewFromConfig(cfg) }}
}

func (c *ebsCollector) Name() string { return "ebs" }
func (c *ebsCollector) Global() bool { return false }

func (c *ebsCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	p := ec2.NewDescribeVolumesPaginator(c.client(cfg), &ec2.DescribeVolumesInput{MaxResults: awssdk.Int32(500)})
	var out []models.Resource
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ebs %s: describe volumes: %w", cfg.Region, err)
		}
		out = append(out, ebsVolumes(page.Volumes, cfg.Region)...)
	}
	return out, nil
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
