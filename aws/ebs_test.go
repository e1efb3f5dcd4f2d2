package aws

import (
	"context"
	"maps"
	"slices"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestEBSVolumes(t *testing.T) {
	attach := func(ids ...string) []ec2types.VolumeAttachment {
		var out []ec2types.VolumeAttachment
		for _, id := range ids {
			out = append(out, ec2types.VolumeAttachment{InstanceId: awssdk.String(id)})
		}
		return out
	}
	tests := []struct {
		name       string
		vol        ec2types.Volume
		attachedTo string
		waste      bool
	}{
		{"attached", ec2types.Volume{State: ec2types.VolumeStateInUse, Attachments: attach("i-1")}, "i-1", false},
		{"multi-attach", ec2types.Volume{State: ec2types.VolumeStateInUse, Attachments: attach("i-1", "i-2")}, "i-1,i-2", false},
		{"available is waste", ec2types.Volume{State: ec2types.VolumeStateAvailable}, "", true},
		{"creating is not waste yet", ec2types.Volume{State: ec2types.VolumeStateCreating}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.vol
			v.VolumeId, v.VolumeType, v.AvailabilityZone = awssdk.String("vol-1"), ec2types.VolumeTypeGp3, awssdk.String("eu-west-1c")
			v.Size, v.Iops, v.Throughput = awssdk.Int32(100), awssdk.Int32(4000), awssdk.Int32(250)
			v.Tags = []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String("data")}}
			rs := ebsVolumes([]ec2types.Volume{v}, "eu-west-1")
			if len(rs) != 1 {
				t.Fatalf("got %d resources", len(rs))
			}
			r := rs[0]
			if r.ID != "vol-1" || r.Name != "data" || r.Type != "gp3" || r.Kind != "volume" || r.State != string(tt.vol.State) || r.Region != "eu-west-1" {
				t.Errorf("resource = %+v", r)
			}
			if r.Waste != tt.waste || (r.Waste && r.WasteReason == "") || (!r.Waste && r.WasteReason != "") {
				t.Errorf("waste = %v %q, want %v with a reason when waste", r.Waste, r.WasteReason, tt.waste)
			}
			checkFacts(t, r, map[string]string{"zone": "eu-west-1c", "attached_to": tt.attachedTo},
				map[string]float64{"size_gb": 100, "iops": 4000, "throughput_mbps": 250})
		})
	}
}

func TestEBSReadsEveryPage(t *testing.T) {
	f := &fakeEC2{volumePages: [][]ec2types.Volume{
		{{VolumeId: awssdk.String("vol-1")}},
		{{VolumeId: awssdk.String("vol-2")}},
		{{VolumeId: awssdk.String("vol-3")}},
	}}
	c := &ebsCollector{client: func(awssdk.Config) ebsAPI { return f }, account: func(context.Context, awssdk.Config) (string, error) { return "111122223333", nil }}
	rs, err := c.Collect(t.Context(), awssdk.Config{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(byID(t, rs))); !slices.Equal(got, []string{"vol-1", "vol-2", "vol-3"}) {
		t.Errorf("volumes = %v", got)
	}
	if !slices.Equal(f.volumeTokens, []string{"", "page-1", "page-2"}) {
		t.Errorf("tokens asked = %q", f.volumeTokens)
	}
}

func createVolume(t *testing.T, ctx context.Context, api *ec2.Client, in *ec2.CreateVolumeInput, name string) *ec2.CreateVolumeOutput {
	t.Helper()
	in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume,
		Tags: []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String(name)}}}}
	out, err := api.CreateVolume(ctx, in)
	if err != nil {
		t.Fatalf("create volume %s: %v", name, err)
	}
	return out
}

func TestEBSAgainstMoto(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	us := ec2.NewFromConfig(m.Config("us-east-1"))
	eu := ec2.NewFromConfig(m.Config("eu-west-1"))

	inst := runInstance(t, ctx, us, ec2types.InstanceTypeT3Micro, "db", nil)
	zone := inst.Placement.AvailabilityZone
	data := createVolume(t, ctx, us, &ec2.CreateVolumeInput{AvailabilityZone: zone, Size: awssdk.Int32(100),
		VolumeType: ec2types.VolumeTypeGp3, Iops: awssdk.Int32(4000), Throughput: awssdk.Int32(250)}, "data")
	if _, err := us.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: data.VolumeId, InstanceId: inst.InstanceId, Device: awssdk.String("/dev/sdf")}); err != nil {
		t.Fatal(err)
	}
	spare := createVolume(t, ctx, us, &ec2.CreateVolumeInput{AvailabilityZone: zone, Size: awssdk.Int32(500),
		VolumeType: ec2types.VolumeTypeSt1}, "spare")
	old := createVolume(t, ctx, eu, &ec2.CreateVolumeInput{AvailabilityZone: awssdk.String("eu-west-1b"), Size: awssdk.Int32(50),
		VolumeType: ec2types.VolumeTypeIo1, Iops: awssdk.Int32(2500)}, "old")

	var snaps []string
	for _, desc := range []string{"nightly", "before upgrade"} {
		s, err := us.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: data.VolumeId, Description: awssdk.String(desc)})
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, *s.SnapshotId)
	}

	c := newEBSCollector()
	usAll := byID(t, collectIn(t, ctx, c, m, "us-east-1"))
	euRes := byID(t, collectIn(t, ctx, c, m, "eu-west-1"))
	usRes := map[string]models.Resource{}
	for id, r := range usAll {
		if r.Kind == models.KindVolume {
			usRes[id] = r
		}
	}

	// Both snapshots, and no one else's (the public AMIs' snapshots the endpoint also
	// lists), each sized by its volume and labelled an upper bound.
	if got := len(usAll) - len(usRes); got != len(snaps) {
		t.Errorf("us-east-1: %d snapshots, want the account's %d", got, len(snaps))
	}
	for i, id := range snaps {
		r := mustFind(t, usAll, id)
		if r.Kind != models.KindSnapshot || r.Type != "standard" || r.Name != []string{"nightly", "before upgrade"}[i] {
			t.Errorf("snapshot = %+v", r)
		}
		checkFacts(t, r, map[string]string{"volume_id": *data.VolumeId, "upper_bound": "true"}, map[string]float64{"size_gb": 100})
	}

	if got := slices.Collect(maps.Keys(euRes)); !slices.Equal(got, []string{*old.VolumeId}) {
		t.Errorf("eu-west-1 volumes = %v, want only %s", got, *old.VolumeId)
	}
	for _, id := range []string{*data.VolumeId, *spare.VolumeId} {
		if _, ok := euRes[id]; ok {
			t.Errorf("us-east-1 volume %s listed in eu-west-1", id)
		}
	}
	// The instance's root volume is listed too, attached.
	root := 0
	for _, r := range usRes {
		if r.ID != *data.VolumeId && r.Attr("attached_to") == *inst.InstanceId {
			root++
			if r.Waste {
				t.Errorf("root volume %s marked waste", r.ID)
			}
		}
	}
	if root != 1 || len(usRes) != 3 {
		t.Errorf("us-east-1: %d volumes with %d root volumes, want data, spare and one root volume", len(usRes), root)
	}

	tests := []struct {
		out      *ec2.CreateVolumeOutput
		res      map[string]models.Resource
		name     string
		attached string
		state    string
		waste    bool
	}{
		{data, usRes, "data", *inst.InstanceId, "in-use", false},
		{spare, usRes, "spare", "", "available", true},
		{old, euRes, "old", "", "available", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustFind(t, tt.res, *tt.out.VolumeId)
			if r.Name != tt.name || r.Type != string(tt.out.VolumeType) || r.State != tt.state || r.Waste != tt.waste {
				t.Errorf("resource = %+v", r)
			}
			if tt.waste && r.WasteReason == "" {
				t.Error("waste without a reason")
			}
			checkFacts(t, r, map[string]string{"zone": *tt.out.AvailabilityZone, "attached_to": tt.attached}, map[string]float64{
				"size_gb":         float64(*tt.out.Size),
				"iops":            float64(awssdk.ToInt32(tt.out.Iops)),
				"throughput_mbps": float64(awssdk.ToInt32(tt.out.Throughput)),
			})
		})
	}
}
