package locale

import "testing"

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"zero", USD(0), "$0.00"},
		{"cents", USD(3.6296), "$3.63"},
		{"half up", USD(58.4256), "$58.43"},
		{"under half a cent keeps four decimals", USD(0.0042), "$0.0042"},
		{"negative under half a cent", USD(-0.0042), "-$0.0042"},
		{"thousands", USD(1234.5), "$1,234.50"},
		{"millions", USD(1234567.891), "$1,234,567.89"},
		{"negative", USD(-2.5), "-$2.50"},
		{"negative dust has no sign", Money(-0.00001, 2), "$0.00"},
		{"rate", Rate(0.1064), "$0.1064"},
		{"rate sum", Rate(0.0104 + 0.096), "$0.1064"},
		{"big rate", Rate(1234.5), "$1,234.5000"},
		{"negative rate", Rate(-0.25), "-$0.2500"},
		{"no decimals", Money(1234.4, 0), "$1,234"},
		{"diff up", Diff(7.2), "+$7.20"},
		{"diff down", Diff(-1.05), "-$1.05"},
		{"diff dust", Diff(0.004), "$0.00"},
		{"diff negative dust", Diff(-0.004), "$0.00"},
		{"diff thousands", Diff(1234.5), "+$1,234.50"},
		{"percent", Percent(69.5424), "69.5%"},
		{"change up", Change(923.0769), "+923.1%"},
		{"change down", Change(-12.34), "-12.3%"},
		{"GB", GB(523e9), "523.00 GB"},
		{"GB fraction", GB(2.5e9), "2.50 GB"},
		{"bytes", Bytes(0), "0 B"},
		{"bytes under a KiB", Bytes(1023), "1023 B"},
		{"KiB", Bytes(1536), "1.5 KiB"},
		{"GiB", Bytes(5 << 30), "5.0 GiB"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestDisplayName(t *testing.T) {
	for service, want := range map[string]string{"ec2": "EC2", "q": "Amazon Q", "cloudwatch": "CloudWatch", "elb": "ELB", "neptune": "neptune"} {
		if got := DisplayName(service); got != want {
			t.Errorf("DisplayName(%q) = %q, want %q", service, got, want)
		}
	}
}
