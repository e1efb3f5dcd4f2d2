package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	costaws "costbot/aws"
	"costbot/internal/awstest"
)

func TestDoctorTellsTheLightsailHost(t *testing.T) {
	ls := awstest.StartLightsail(t)
	ls.AddInstance("us-east-1", awstest.LightsailInstance{Name: "other", AllowanceGB: 1024})
	ls.AddInstance("us-east-1", awstest.LightsailInstance{Name: "costbot-host", AllowanceGB: 1024})
	insts, err := costaws.ListLightsailInstances(context.Background(), ls.Config("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	var hostID string
	for _, in := range insts {
		if in.Name == "costbot-host" {
			hostID = costaws.SupportCodeInstanceID(in.SupportCode)
		}
	}
	dir := t.TempDir()
	base := []string{
		"DB_PATH=" + filepath.Join(dir, "cost.db"), "LIGHTSAIL_REGIONS=us-east-1",
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL_LIGHTSAIL=" + ls.URL,
	}
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"found through the metadata service", []string{"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + awstest.StartInstanceMetadata(t, hostID).URL},
			"✓ lightsail host: costbot runs on Lightsail instance costbot-host (us-east-1, " + hostID + "), watched"},
		{"an EC2 instance that is not a Lightsail one", []string{"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + awstest.StartInstanceMetadata(t, "i-0123456789abcdef0").URL},
			"✓ lightsail host: on i-0123456789abcdef0, not a Lightsail instance"},
		{"named", []string{"LIGHTSAIL_SELF=web-1"}, "✓ lightsail host: costbot runs on web-1 (LIGHTSAIL_SELF)"},
		{"off", []string{"LIGHTSAIL_SELF=none"}, "✓ lightsail host: detection off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, _ := runBinary(t, dir, cleanEnv(append(base, tt.env...)...), "doctor")
			if !strings.Contains(out, tt.want) {
				t.Errorf("doctor output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}
