package aws

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/fsx"
	fsxtypes "github.com/aws/aws-sdk-go-v2/service/fsx/types"

	"costbot/models"
)

// fsxAPI is the part of FSx the collector reads.
type fsxAPI interface {
	DescribeFileSystems(ctx context.Context, in *fsx.DescribeFileSystemsInput, optFns ...func(*fsx.Options)) (*fsx.DescribeFileSystemsOutput, error)
}

// fsxCollector lists FSx file systems with their capacity and throughput.
type fsxCollector struct {
	newAPI func(cfg awssdk.Config) fsxAPI
}

func init() {
	register(&fsxCollector{newAPI: func(cfg awssdk.Config) fsxAPI { return fsx.NewFromConfig(cfg) }})
}

func (*fsxCollector) Name() string { return "fsx" }
func (*fsxCollector) Global() bool { return false }

func (c *fsxCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	var out []models.Resource
	p := fsx.NewDescribeFileSystemsPaginator(c.newAPI(cfg), &fsx.DescribeFileSystemsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("fsx %s: describe file systems: %w", cfg.Region, err)
		}
		out = append(out, fsxResources(page.FileSystems, cfg.Region)...)
	}
	return out, nil
}

// fsxResources turns file systems into resources. The deployment type and throughput live
// in the configuration of the file system's own type.
func fsxResources(fss []fsxtypes.FileSystem, region string) []models.Resource {
	out := make([]models.Resource, 0, len(fss))
	for _, fs := range fss {
		storageGB := float64(awssdk.ToInt32(fs.StorageCapacity))
		deployment, throughput := fsxDeployment(fs, storageGB)
		r := models.Resource{
			Service: "fsx",
			Region:  region,
			ID:      awssdk.ToString(fs.FileSystemId),
			Name:    fsxName(fs),
			Kind:    models.KindFileSystem,
			Type:    string(fs.FileSystemType),
			State:   string(fs.Lifecycle),
			Attrs: map[string]string{
				"deployment_type": deployment,
				"storage_type":    string(fs.StorageType),
			},
			Usage: map[string]float64{
				"storage_gb":      storageGB,
				"throughput_mbps": throughput,
			},
		}
		if c := fs.LustreConfiguration; c != nil && c.PerUnitStorageThroughput != nil {
			r.Usage["throughput_per_tib"] = float64(*c.PerUnitStorageThroughput)
		}
		if fs.CreationTime != nil {
			r.CreatedAt = fs.CreationTime.UTC()
		}
		out = append(out, r)
	}
	return out
}

// fsxDeployment reads the deployment type and the provisioned throughput in MB/s from the
// type-specific configuration. Lustre provisions throughput per TiB of storage
// (PerUnitStorageThroughput), so its total is that times the capacity in TiB; a Lustre file
// system that states ThroughputCapacity (intelligent tiering) uses it as is.
func fsxDeployment(fs fsxtypes.FileSystem, storageGB float64) (deployment string, throughputMBps float64) {
	switch {
	case fs.WindowsConfiguration != nil:
		c := fs.WindowsConfiguration
		return string(c.DeploymentType), float64(awssdk.ToInt32(c.ThroughputCapacity))
	case fs.OntapConfiguration != nil:
		c := fs.OntapConfiguration
		return string(c.DeploymentType), float64(awssdk.ToInt32(c.ThroughputCapacity))
	case fs.OpenZFSConfiguration != nil:
		c := fs.OpenZFSConfiguration
		return string(c.DeploymentType), float64(awssdk.ToInt32(c.ThroughputCapacity))
	case fs.LustreConfiguration != nil:
		c := fs.LustreConfiguration
		if c.ThroughputCapacity != nil {
			return string(c.DeploymentType), float64(*c.ThroughputCapacity)
		}
		return string(c.DeploymentType), float64(awssdk.ToInt32(c.PerUnitStorageThroughput)) * storageGB / 1024
	}
	return "", 0
}

func fsxName(fs fsxtypes.FileSystem) string {
	for _, t := range fs.Tags {
		if awssdk.ToString(t.Key) == "Name" && awssdk.ToString(t.Value) != "" {
			return awssdk.ToString(t.Value)
		}
	}
	return awssdk.ToString(fs.FileSystemId)
}
