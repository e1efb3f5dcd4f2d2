package aws

import (
	"context"
	"slices"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/fsx"
	fsxtypes "github.com/aws/aws-sdk-go-v2/service/fsx/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestFSxResourcesPure(t *testing.T) {
	tests := []struct {
		name           string
		fs             fsxtypes.FileSystem
		deployment     string
		throughputMBps float64
	}{
		{"windows", fsxtypes.FileSystem{FileSystemType: fsxtypes.FileSystemTypeWindows, StorageCapacity: awssdk.Int32(300),
			WindowsConfiguration: &fsxtypes.WindowsFileSystemConfiguration{DeploymentType: fsxtypes.WindowsDeploymentTypeMultiAz1, ThroughputCapacity: awssdk.Int32(32)}},
			"MULTI_AZ_1", 32},
		{"lustre per TiB", fsxtypes.FileSystem{FileSystemType: fsxtypes.FileSystemTypeLustre, StorageCapacity: awssdk.Int32(2400),
			LustreConfiguration: &fsxtypes.LustreFileSystemConfiguration{DeploymentType: fsxtypes.LustreDeploymentTypePersistent2, PerUnitStorageThroughput: awssdk.Int32(125)}},
			"PERSISTENT_2", 125 * 2400.0 / 1024},
		{"lustre scratch", fsxtypes.FileSystem{FileSystemType: fsxtypes.FileSystemTypeLustre, StorageCapacity: awssdk.Int32(1200),
			LustreConfiguration: &fsxtypes.LustreFileSystemConfiguration{DeploymentType: fsxtypes.LustreDeploymentTypeScratch2}},
			"SCRATCH_2", 0},
		{"ontap", fsxtypes.FileSystem{FileSystemType: fsxtypes.FileSystemTypeOntap, StorageCapacity: awssdk.Int32(1024),
			OntapConfiguration: &fsxtypes.OntapFileSystemConfiguration{DeploymentType: fsxtypes.OntapDeploymentTypeSingleAz1, ThroughputCapacity: awssdk.Int32(128)}},
			"SINGLE_AZ_1", 128},
		{"openzfs", fsxtypes.FileSystem{FileSystemType: fsxtypes.FileSystemTypeOpenzfs, StorageCapacity: awssdk.Int32(64),
			OpenZFSConfiguration: &fsxtypes.OpenZFSFileSystemConfiguration{DeploymentType: fsxtypes.OpenZFSDeploymentTypeSingleAz2, ThroughputCapacity: awssdk.Int32(160)}},
			"SINGLE_AZ_2", 160},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fs.FileSystemId = awssdk.String("fs-1")
			tt.fs.StorageType = fsxtypes.StorageTypeSsd
			r := fsxResources([]fsxtypes.FileSystem{tt.fs}, "eu-west-1")[0]
			if r.Type != string(tt.fs.FileSystemType) || r.Attr("deployment_type") != tt.deployment || r.Attr("storage_type") != "SSD" ||
				r.Usage["storage_gb"] != float64(*tt.fs.StorageCapacity) || r.Usage["throughput_mbps"] != tt.throughputMBps {
				t.Fatalf("resource = %+v", r)
			}
			// Lustre's per-TiB tier picks its storage SKU.
			if want := float64(awssdk.ToInt32(lustrePerTiB(tt.fs))); r.Usage["throughput_per_tib"] != want {
				t.Errorf("throughput_per_tib = %v, want %v", r.Usage["throughput_per_tib"], want)
			}
		})
	}
}

func lustrePerTiB(fs fsxtypes.FileSystem) *int32 {
	if fs.LustreConfiguration == nil {
		return nil
	}
	return fs.LustreConfiguration.PerUnitStorageThroughput
}

func TestFSxCollectorAgainstMoto(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	type seeded struct {
		region string
		in     fsx.CreateFileSystemInput
	}
	seeds := []seeded{
		{"us-west-2", fsx.CreateFileSystemInput{FileSystemType: fsxtypes.FileSystemTypeWindows, StorageCapacity: awssdk.Int32(300),
			StorageType: fsxtypes.StorageTypeHdd, SubnetIds: []string{"subnet-1"},
			WindowsConfiguration: &fsxtypes.CreateFileSystemWindowsConfiguration{DeploymentType: fsxtypes.WindowsDeploymentTypeSingleAz2, ThroughputCapacity: awssdk.Int32(64)},
			Tags:                 []fsxtypes.Tag{{Key: awssdk.String("Name"), Value: awssdk.String("shares")}}}},
		{"us-west-2", fsx.CreateFileSystemInput{FileSystemType: fsxtypes.FileSystemTypeOpenzfs, StorageCapacity: awssdk.Int32(128),
			StorageType: fsxtypes.StorageTypeSsd, SubnetIds: []string{"subnet-1"},
			OpenZFSConfiguration: &fsxtypes.CreateFileSystemOpenZFSConfiguration{DeploymentType: fsxtypes.OpenZFSDeploymentTypeSingleAz1, ThroughputCapacity: awssdk.Int32(256)}}},
		{"ap-northeast-1", fsx.CreateFileSystemInput{FileSystemType: fsxtypes.FileSystemTypeLustre, StorageCapacity: awssdk.Int32(1200),
			StorageType: fsxtypes.StorageTypeSsd, SubnetIds: []string{"subnet-2"},
			LustreConfiguration: &fsxtypes.CreateFileSystemLustreConfiguration{DeploymentType: fsxtypes.LustreDeploymentTypePersistent1, PerUnitStorageThroughput: awssdk.Int32(200)}}},
	}
	ids := make([]string, len(seeds))
	for i, s := range seeds {
		out, err := fsx.NewFromConfig(m.Config(s.region)).CreateFileSystem(ctx, &s.in)
		if err != nil {
			t.Fatalf("create file system: %v", err)
		}
		ids[i] = awssdk.ToString(out.FileSystem.FileSystemId)
	}

	c := &fsxCollector{newAPI: func(cfg awssdk.Config) fsxAPI { return fsx.NewFromConfig(cfg) }}
	var all []models.Resource
	for _, region := range []string{"us-west-2", "ap-northeast-1"} {
		rs, err := c.Collect(ctx, m.Config(region))
		if err != nil {
			t.Fatalf("collect %s: %v", region, err)
		}
		all = append(all, rs...)
	}
	if len(all) != len(seeds) {
		t.Fatalf("%d file systems, want %d", len(all), len(seeds))
	}
	for i, s := range seeds {
		r := pickResource(t, all, models.KindFileSystem, ids[i])
		wantDeployment, wantThroughput := fsxDeploymentOfInput(s.in)
		if r.Region != s.region || r.Type != string(s.in.FileSystemType) || r.Attr("storage_type") != string(s.in.StorageType) ||
			r.Attr("deployment_type") != wantDeployment || r.Usage["storage_gb"] != float64(*s.in.StorageCapacity) ||
			r.Usage["throughput_mbps"] != wantThroughput {
			t.Errorf("%s = %+v", ids[i], r)
		}
	}
	if r := pickResource(t, all, models.KindFileSystem, ids[0]); r.Name != "shares" {
		t.Errorf("name = %q, want the Name tag", r.Name)
	}
}

// fsxDeploymentOfInput is what a created file system's deployment and throughput must read as.
func fsxDeploymentOfInput(in fsx.CreateFileSystemInput) (string, float64) {
	switch {
	case in.WindowsConfiguration != nil:
		return string(in.WindowsConfiguration.DeploymentType), float64(*in.WindowsConfiguration.ThroughputCapacity)
	case in.OpenZFSConfiguration != nil:
		return string(in.OpenZFSConfiguration.DeploymentType), float64(*in.OpenZFSConfiguration.ThroughputCapacity)
	case in.LustreConfiguration != nil:
		return string(in.LustreConfiguration.DeploymentType),
			float64(*in.LustreConfiguration.PerUnitStorageThroughput) * float64(*in.StorageCapacity) / 1024
	}
	return "", 0
}

// pagedFSx answers DescribeFileSystems one file system per page.
type pagedFSx struct {
	fss   []fsxtypes.FileSystem
	calls int
}

func (p *pagedFSx) DescribeFileSystems(_ context.Context, in *fsx.DescribeFileSystemsInput, _ ...func(*fsx.Options)) (*fsx.DescribeFileSystemsOutput, error) {
	p.calls++
	i := 0
	if in.NextToken != nil {
		i = int((*in.NextToken)[0] - '0')
	}
	out := &fsx.DescribeFileSystemsOutput{FileSystems: p.fss[i : i+1]}
	if i+1 < len(p.fss) {
		out.NextToken = awssdk.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func TestFSxCollectorReadsEveryPage(t *testing.T) {
	api := &pagedFSx{fss: []fsxtypes.FileSystem{{FileSystemId: awssdk.String("fs-a")}, {FileSystemId: awssdk.String("fs-b")}, {FileSystemId: awssdk.String("fs-c")}}}
	c := &fsxCollector{newAPI: func(awssdk.Config) fsxAPI { return api }}
	rs, err := c.Collect(context.Background(), awssdk.Config{Region: "eu-west-1"})
	if err != nil || len(rs) != len(api.fss) || api.calls != len(api.fss) || rs[2].ID != "fs-c" {
		t.Fatalf("%d resources after %d calls: %v", len(rs), api.calls, err)
	}
}

func TestIssue3CollectorsAreRegistered(t *testing.T) {
	configured := []string{"us-east-1", "ap-east-1", "eu-west-1"}
	tests := []struct {
		name    string
		regions []string
	}{
		{"fsx", configured},
		{"cloudwatch", configured},
		{"waf", append(slices.Clone(configured), models.GlobalRegion)},
		{"cloudfront", []string{models.GlobalRegion}},
		{"q", []string{"us-east-1", "eu-west-1"}},
		{"lightsail", []string{"us-east-1", "eu-west-1"}},
	}
	for _, tt := range tests {
		cs := Collectors([]string{tt.name})
		if len(cs) != 1 || cs[0].Name() != tt.name {
			t.Errorf("%s is not registered", tt.name)
			continue
		}
		if got := taskRegions(cs[0], configured); !slices.Equal(got, tt.regions) {
			t.Errorf("%s runs in %v, want %v", tt.name, got, tt.regions)
		}
	}
}
